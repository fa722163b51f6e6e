# Writes each ```csharp block of a Markdown file, as written, to DIR/Block<line>.cs, with a #line directive so that the
# compiler reports an error at the block's own line of the Markdown file.
# Usage: awk -v out=DIR/ -v source=/abs/path/page.md -f blocks.awk page.md
/^```csharp([ \t]|$)/ { file = out "Block" NR ".cs"; printf "#line %d \"%s\"\n", NR + 1, source > file; inblock = 1; next }
inblock && /^```[ \t]*$/ { close(file); inblock = 0; next }
inblock { print > file }
END { if (inblock) { printf "%s: a ```csharp block is never closed\n", source > "/dev/stderr"; exit 1 } }
