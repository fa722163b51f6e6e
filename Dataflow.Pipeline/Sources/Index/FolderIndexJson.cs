using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Reads and writes the folder index's JSON as a stream of tokens (<see cref="Utf8JsonReader"/>,
/// <see cref="Utf8JsonWriter"/>) straight into and out of a <see cref="FolderIndexTable"/>: no object per file,
/// no copy of the whole file in memory.
/// </summary>
/// <remarks>
/// Version 2 (written) groups files by folder, their names joined with <c>/</c> (which no file name holds) into
/// strings of up to 4,096 names, so a million files are a few hundred JSON strings rather than a million:
/// <c>{"format":…,"version":2,"count":N,"classes":[…],"folders":[{"path":"cat","label":0,"files":["1.jpg/2.jpg/…"],"sizes":[812,…]},…]}</c>.
/// Version 1 (still read) lists one object per file: <c>"files":[{"path":"cat/1.jpg","label":0,"size":812},…]</c>.
/// The methods run once per token are compiled optimized at once: a million-file index is read in the first
/// fraction of a second of a process, before tiered compilation would have optimized them (0.42 s against 0.12 s).
/// System.Text.Json's source-generated serializer (an object per folder, the joined names split afterwards) was measured
/// against it on a 100,000-file index: 1.8 to 2.6 times as long for the first read in a process and up to 1.7 times for
/// later ones, before any check of the entries, so the index keeps its own reader.
/// </remarks>
internal sealed class FolderIndexJson
{
    private const int BufferBytes = 1 << 16;

    /// <summary>File names joined with <c>/</c> into one JSON string, at most this many to a string.</summary>
    private const int NamesPerString = 4096;

    private readonly string _where;
    private readonly FolderIndexTable _table = new();
    private readonly List<string> _classes = [];
    private string? _format;
    private int? _version;
    private Top _top;
    private Field _field;
    private int _skipDepth = -1;
    private long _blockStart;
    private long _maxFiles;

    // The entry being read: a version-1 file or a version-2 folder.
    private string? _path;
    private int _label = -1;
    private long _size = -1;
    private int _entryStart;
    private int _sizesStart;
    private int _entries;

    private FolderIndexJson(string where) => _where = where;

    private enum Field
    {
        Other,
        Path,
        Label,
        Size,
        Files,
        Sizes,
    }

    private enum Top
    {
        None,
        Format,
        Version,
        Count,
        Classes,
        Files,
        Folders,
        Other,
    }

    /// <summary>Writes <paramref name="table"/> as version 2.</summary>
    public static void Write(Stream stream, IReadOnlyList<string> classes, FolderIndexTable table)
    {
        // Relaxed escaping: non-ASCII names stay readable UTF-8 (the file is data, never embedded in HTML).
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        json.WriteStartObject();
        json.WriteString("format", FolderIndex.FormatName);
        json.WriteNumber("version", FolderIndex.CurrentVersion);
        json.WriteNumber("count", table.Count);
        json.WriteStartArray("classes");
        foreach (string name in classes)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteStartArray("folders");
        IReadOnlyList<FolderIndexTable.Run> runs = table.Runs;
        var joined = new ArrayBufferWriter<byte>(1 << 16);
        for (int r = 0; r < runs.Count; r++)
        {
            int end = r + 1 < runs.Count ? runs[r + 1].Start : table.Count;
            json.WriteStartObject();
            json.WriteString("path", runs[r].Folder);
            json.WriteNumber("label", runs[r].Label);
            json.WriteStartArray("files");
            for (int first = runs[r].Start; first < end; first += NamesPerString)
            {
                joined.Clear();
                for (int i = first; i < Math.Min(end, first + NamesPerString); i++)
                {
                    if (i > first)
                    {
                        joined.Write("/"u8);
                    }

                    joined.Write(table.NameBytes(i));
                }

                json.WriteStringValue(joined.WrittenSpan);
            }

            json.WriteEndArray();
            json.WriteStartArray("sizes");
            for (int i = runs[r].Start; i < end; i++)
            {
                json.WriteNumberValue(table.Size(i));
            }

            json.WriteEndArray();
            json.WriteEndObject();
            if (json.BytesPending > BufferBytes)
            {
                json.Flush();
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Reads an index of version 1 or 2; <paramref name="where"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, not a folder index, a version this library does not read, or an entry that makes no sense.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (IReadOnlyList<string> Classes, int Version, FolderIndexTable Table) Read(Stream stream, string where)
    {
        var reader = new FolderIndexJson(where) { _maxFiles = stream.CanSeek ? stream.Length / 6 : 1 << 20 };
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        try
        {
            var state = new JsonReaderState();
            int filled = 0;
            long position = 0;
            bool final = false;
            while (!final)
            {
                int read = stream.Read(buffer, filled, buffer.Length - filled);
                final = read == 0;
                filled += read;
                var json = new Utf8JsonReader(buffer.AsSpan(0, filled), final, state);
                reader._blockStart = position;
                while (json.Read())
                {
                    reader.Token(ref json);
                }

                state = json.CurrentState;
                int consumed = (int)json.BytesConsumed;
                Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                filled -= consumed;
                position += consumed;
                if (filled == buffer.Length)
                {
                    // One token longer than the buffer: a bigger one.
                    byte[] bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, bigger, 0, filled);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The folder index '{where}' is not valid JSON: {e.Message}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return reader.Finish();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Token(ref Utf8JsonReader json)
    {
        JsonTokenType token = json.TokenType;
        int depth = json.CurrentDepth;
        if (_skipDepth >= 0)
        {
            if (depth == _skipDepth && token is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                _skipDepth = -1;
            }

            return;
        }

        switch (depth)
        {
            case 0:
                Expect(token is JsonTokenType.StartObject or JsonTokenType.EndObject, ref json, "the index object");
                return;
            case 1:
                if (token == JsonTokenType.PropertyName)
                {
                    _top = json.ValueTextEquals("format"u8) ? Top.Format
                        : json.ValueTextEquals("version"u8) ? Top.Version
                        : json.ValueTextEquals("count"u8) ? Top.Count
                        : json.ValueTextEquals("classes"u8) ? Top.Classes
                        : json.ValueTextEquals("files"u8) ? Top.Files
                        : json.ValueTextEquals("folders"u8) ? Top.Folders
                        : Top.Other;
                    return;
                }

                TopValue(ref json);
                return;
            case 2:
                Element(ref json);
                return;
            case 3:
                EntryField(ref json);
                return;
            case 4:
                FolderElement(ref json);
                return;
            default:
                Skip(ref json);
                return;
        }
    }

    private void TopValue(ref Utf8JsonReader json)
    {
        JsonTokenType token = json.TokenType;
        switch (_top)
        {
            case Top.Format:
                Expect(token == JsonTokenType.String, ref json, "\"format\", a string");
                _format = json.GetString();
                if (_format != FolderIndex.FormatName)
                {
                    throw new InvalidDataException($"The file '{_where}' is not a folder index (format \"{_format}\", expected \"{FolderIndex.FormatName}\").");
                }

                break;
            case Top.Version:
                Expect(token == JsonTokenType.Number && json.TryGetInt32(out _), ref json, "\"version\", a whole number");
                _version = json.GetInt32();
                if (_version is < 1 or > FolderIndex.CurrentVersion)
                {
                    throw new InvalidDataException($"The folder index '{_where}' has format version {_version}; this library reads versions 1 to {FolderIndex.CurrentVersion}.");
                }

                break;
            case Top.Count:
                // The number of files, written before them: the table is sized once instead of growing.
                Expect(token == JsonTokenType.Number && json.TryGetInt32(out int count) && count >= 0, ref json, "\"count\", a whole number");
                // Never above what the file can hold (each file takes at least 6 bytes): a wrong count costs no memory.
                _table.Reserve((int)Math.Min(json.GetInt32(), _maxFiles));
                break;
            case Top.Classes or Top.Files or Top.Folders:
                Expect(token is JsonTokenType.StartArray or JsonTokenType.EndArray, ref json, $"\"{_top.ToString().ToLowerInvariant()}\", an array");
                break;
            default:
                Skip(ref json);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Element(ref Utf8JsonReader json)
    {
        JsonTokenType token = json.TokenType;
        switch (_top)
        {
            case Top.Classes:
                Expect(token == JsonTokenType.String, ref json, "a class name, a string");
                _classes.Add(json.GetString()!);
                return;
            case Top.Files or Top.Folders:
                Expect(token is JsonTokenType.StartObject or JsonTokenType.EndObject, ref json, _top == Top.Files ? "a file, an object" : "a folder, an object");
                if (token == JsonTokenType.StartObject)
                {
                    _path = null;
                    _label = -1;
                    _size = -1;
                    _entryStart = _table.Count;
                    _sizesStart = _table.SizeCount;
                    if (_top == Top.Folders)
                    {
                        _table.StartRun();
                    }
                }
                else
                {
                    if (_top == Top.Files)
                    {
                        EndFile();
                    }
                    else
                    {
                        EndFolder();
                    }

                    _entries++;
                }

                return;
            default:
                Skip(ref json);
                return;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EntryField(ref Utf8JsonReader json)
    {
        if (_top is not (Top.Files or Top.Folders))
        {
            Skip(ref json);
            return;
        }

        JsonTokenType token = json.TokenType;
        if (token == JsonTokenType.PropertyName)
        {
            _field = json.ValueTextEquals("path"u8) ? Field.Path
                : json.ValueTextEquals("label"u8) ? Field.Label
                : json.ValueTextEquals("size"u8) && _top == Top.Files ? Field.Size
                : json.ValueTextEquals("files"u8) && _top == Top.Folders ? Field.Files
                : json.ValueTextEquals("sizes"u8) && _top == Top.Folders ? Field.Sizes
                : Field.Other;
            return;
        }

        switch (_field)
        {
            case Field.Path:
                Expect(token == JsonTokenType.String, ref json, "\"path\", a string");
                _path = json.GetString();
                break;
            case Field.Label:
                Expect(token == JsonTokenType.Number && json.TryGetInt32(out _), ref json, "\"label\", a whole number");
                _label = json.GetInt32();
                break;
            case Field.Size:
                Expect(token == JsonTokenType.Number && json.TryGetInt64(out _), ref json, "\"size\", a whole number");
                _size = json.GetInt64();
                break;
            case Field.Files or Field.Sizes:
                Expect(token is JsonTokenType.StartArray or JsonTokenType.EndArray, ref json, $"\"{_field.ToString().ToLowerInvariant()}\", an array");
                break;
            default:
                Skip(ref json);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FolderElement(ref Utf8JsonReader json)
    {
        if (_top != Top.Folders)
        {
            Skip(ref json);
            return;
        }

        JsonTokenType token = json.TokenType;
        if (_field == Field.Files)
        {
            Expect(token == JsonTokenType.String, ref json, "file names, a string");
            ReadOnlySpan<byte> all = json.ValueIsEscaped || json.HasValueSequence ? Encoding.UTF8.GetBytes(json.GetString()!) : json.ValueSpan;
            ReadOnlySpan<byte> names = all;
            while (true)
            {
                int slash = names.IndexOf((byte)'/');
                ReadOnlySpan<byte> name = slash < 0 ? names : names[..slash];
                if (name.Length == 0 || (Path.DirectorySeparatorChar == '\\' && name.IndexOf((byte)'\\') >= 0))
                {
                    throw Invalid($"folder {_entries} has an empty file name or one holding a separator in \"{Encoding.UTF8.GetString(all)}\"");
                }

                _table.AddName(name);
                if (slash < 0)
                {
                    break;
                }

                names = names[(slash + 1)..];
            }
        }
        else if (_field == Field.Sizes)
        {
            Expect(token == JsonTokenType.Number && json.TryGetInt64(out long size) && size >= 0, ref json, "a size, a whole number of bytes");
            _table.AddSize(json.GetInt64());
        }
        else
        {
            Skip(ref json);
        }
    }

    private void EndFile()
    {
        if (_path is null || _label < 0 || _size < 0)
        {
            throw Invalid($"file {_entries} lacks a \"path\", \"label\" or \"size\"");
        }

        string path = _path;
        int slash = path.LastIndexOf('/');
        string folder = slash < 0 ? "" : path[..slash];
        CheckFolder(folder);
        string name = path[(slash + 1)..];
        if (name.Length == 0)
        {
            throw Invalid($"file \"{_path}\" has no file name");
        }

        _table.AddFile(folder, _label, Encoding.UTF8.GetBytes(name), _size);
    }

    private void EndFolder()
    {
        if (_path is null || _label < 0)
        {
            throw Invalid($"folder {_entries} lacks a \"path\" or \"label\"");
        }

        string folder = _path.TrimEnd('/');
        CheckFolder(folder);
        int files = _table.Count - _entryStart;
        int sizes = _table.SizeCount - _sizesStart;
        if (files != sizes)
        {
            throw Invalid($"folder \"{_path}\" lists {files} files but {sizes} sizes");
        }

        _table.CompleteRun(folder, _label);
    }

    private void CheckFolder(string folder)
    {
        if (folder.Length > 0 && (Path.IsPathRooted(folder) || folder.Split('/').Any(part => part is ".." or "." or "")))
        {
            throw Invalid($"folder \"{folder}\" is not a plain path under the root");
        }
    }

    private (IReadOnlyList<string>, int, FolderIndexTable) Finish()
    {
        if (_format is null)
        {
            throw new InvalidDataException($"The file '{_where}' is not a folder index (format \"\", expected \"{FolderIndex.FormatName}\").");
        }

        if (_version is null)
        {
            throw Invalid("it has no \"version\"");
        }

        foreach (FolderIndexTable.Run run in _table.Runs)
        {
            if (run.Label >= _classes.Count)
            {
                throw Invalid($"folder \"{run.Folder}\" has label {run.Label}; there are {_classes.Count} classes");
            }
        }

        return (_classes, _version.Value, _table.Seal());
    }

    private void Skip(ref Utf8JsonReader json)
    {
        if (json.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            _skipDepth = json.CurrentDepth;
        }
    }

    private void Expect(bool condition, ref Utf8JsonReader json, string what)
    {
        if (!condition)
        {
            throw Invalid($"expected {what} at byte {_blockStart + json.TokenStartIndex}, found {json.TokenType}");
        }
    }

    private InvalidDataException Invalid(string what) => new($"The folder index '{_where}' is not valid: {what}.");
}
