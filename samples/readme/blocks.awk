# Cuts the C# blocks of a Markdown file into C# files that compile each block as written, for build.sh's README check.
# Usage: awk -v out=DIR -v source=/abs/path/README.md -v tag=Readme -f blocks.awk README.md
# Each ```csharp block becomes DIR/<tag>_L<line>.cs: its using directives at the top of the file, the rest as the body
# of `static class <tag>_L<line> { public static async Task RunAsync() { ... } }`, with #line directives so that the
# compiler reports every error at the block's own line of the Markdown file. A block whose fence says
# ```csharp no-run is compiled only; the others are listed in DIR/<tag>.run (one class name a line) to be run.
# A ```bash install block is written to DIR/<tag>.install, to be run as written.
function flush(   i, name, file) {
  name = tag "_L" start
  file = out "/" name ".cs"
  printf "// The C# block at line %d of %s, as written there.\n", start, source > file
  printf "#pragma warning disable CS1998 // a block that awaits nothing still runs as an async step\n" > file
  for (i = 1; i <= ndirectives; i++) {
    printf "#line %d \"%s\"\n%s\n", directive_line[i], source, directive[i] > file
  }
  printf "#line default\ninternal static class %s\n{\n    public static async Task RunAsync()\n    {\n", name > file
  if (nbody > 0) printf "#line %d \"%s\"\n", body_line, source > file
  for (i = 1; i <= nbody; i++) print body[i] > file
  printf "#line default\n    }\n}\n" > file
  close(file)
  if (runnable) print name > (out "/" tag ".run")
  blocks++
}
BEGIN { inblock = 0; ininstall = 0; blocks = 0 }
inblock && /^```[ \t]*$/ { flush(); inblock = 0; next }
ininstall && /^```[ \t]*$/ { ininstall = 0; next }
inblock {
  if (nbody == 0 && $0 ~ /^(using( static)? [A-Za-z_][A-Za-z0-9_.]*( = [A-Za-z_][A-Za-z0-9_.<>, ]*)?;)[ \t]*(\/\/.*)?$/) {
    directive[++ndirectives] = $0; directive_line[ndirectives] = NR; next
  }
  if (nbody == 0 && ($0 ~ /^[ \t]*$/ || $0 ~ /^[ \t]*\/\//)) next
  if (nbody == 0) body_line = NR
  body[++nbody] = $0
  next
}
ininstall { print > (out "/" tag ".install"); next }
/^```csharp([ \t]|$)/ {
  inblock = 1; start = NR; nbody = 0; ndirectives = 0; runnable = ($0 !~ /no-run/)
  next
}
/^```bash[ \t]+install[ \t]*$/ { ininstall = 1; next }
END {
  if (inblock) { printf "%s:%d: the ```csharp block is never closed\n", source, start > "/dev/stderr"; exit 1 }
  printf "%d\n", blocks > (out "/" tag ".count")
}
