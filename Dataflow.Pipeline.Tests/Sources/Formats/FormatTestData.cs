using System.Diagnostics;
using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Tools.Storage;
using Parquet;
using Parquet.Schema;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

/// <summary>
/// The published formats' test files, written from a class-folder dataset in its discovery order (so sample i of
/// every form is the same image): Parquet by our fixture writer (Parquet.Net, another library than the reader's) and
/// by DuckDB; TFRecord by Python's protobuf.
/// </summary>
internal static class FormatTestData
{
    /// <summary>The folder dataset's samples in the folder source's order: (path, label), and the class names.</summary>
    public static (List<(string Path, int Label)> Rows, IReadOnlyList<string> Classes) Rows(string root)
    {
        SampleSet set = new FolderSampleSource().Discover([root]);
        return ([.. set.Samples.Select(s => (s.Id, s.Label))], set.ClassNames);
    }

    /// <summary>The huggingface metadata of an image-classification dataset with <paramref name="classes"/>.</summary>
    public static string HuggingFaceMetadata(IReadOnlyList<string> classes) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["info"] = new Dictionary<string, object>
            {
                ["features"] = new Dictionary<string, object>
                {
                    ["image"] = new Dictionary<string, object> { ["_type"] = "Image" },
                    ["label"] = new Dictionary<string, object> { ["names"] = classes, ["_type"] = "ClassLabel" },
                },
            },
        });

    /// <summary>
    /// Writes <paramref name="rows"/> as a Hugging Face Parquet file with Parquet.Net: an <c>image</c> struct
    /// {bytes, path}, an int64 <c>label</c>, row groups of <paramref name="rowGroupSize"/> rows.
    /// </summary>
    public static async Task WriteParquetAsync(string file, IReadOnlyList<(string Path, int Label)> rows, IReadOnlyList<string>? classes, int rowGroupSize,
        string imageColumn = "image", string labelColumn = "label", Func<int, byte[]?>? bytesOf = null)
    {
        var bytesField = new DataField<byte[]>("bytes", true);
        var pathField = new DataField<string>("path", true);
        var labelField = new DataField<long>(labelColumn, true);
        var schema = new ParquetSchema(new StructField(imageColumn, bytesField, pathField), labelField);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using FileStream stream = File.Create(file);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream);
        if (classes is not null)
        {
            writer.CustomMetadata = new Dictionary<string, string> { ["huggingface"] = HuggingFaceMetadata(classes) };
        }

        for (int start = 0; start < rows.Count; start += rowGroupSize)
        {
            int[] indices = [.. Enumerable.Range(start, Math.Min(rowGroupSize, rows.Count - start))];
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await group.WriteAsync(bytesField, indices.Select(i => bytesOf is null ? File.ReadAllBytes(rows[i].Path) : bytesOf(i)).ToArray()!, null);
            await group.WriteAsync(pathField, indices.Select(i => Path.GetFileName(rows[i].Path)).ToArray(), null);
            await group.WriteAsync<long>(labelField, indices.Select(i => (long?)rows[i].Label).ToArray(), null);
        }
    }

    /// <summary>Writes <paramref name="rows"/> as a Hugging Face Parquet file with DuckDB (Node.js, from .tools).</summary>
    public static void WriteParquetWithDuckDb(string file, IReadOnlyList<(string Path, int Label)> rows, IReadOnlyList<string> classes, int rowGroupSize)
    {
        string tools = RequireDuckDb();
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string spec = file + ".spec.json";
        File.WriteAllText(spec, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["out"] = file,
            ["rowGroupSize"] = rowGroupSize,
            ["classNames"] = classes,
            ["rows"] = rows.Select(r => new Dictionary<string, object> { ["path"] = r.Path, ["label"] = r.Label }).ToArray(),
        }));
        try
        {
            Run("node", Path.Combine(AppContext.BaseDirectory, "Sources", "Formats", "duckdb-write-parquet.cjs"), tools, spec);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    /// <summary>The tools folder, failing the test naming what to install when DuckDB for Node.js is not there.</summary>
    public static string RequireDuckDb()
    {
        string tools = ServerProcess.ToolsFolder();
        if (!File.Exists(Path.Combine(tools, "node_modules", "@duckdb", "node-api", "package.json")))
        {
            Assert.Fail($"DuckDB for Node.js is not installed in {tools}: run ./build.sh test (it installs it), or `npm install --prefix .tools @duckdb/node-api@1.5.6-r.1` in the repository root (needs Node.js: apt-get install nodejs npm).");
        }

        return tools;
    }

    /// <summary>
    /// Writes <paramref name="rows"/> as a TFRecord file of tf.train.Example records with Python's protobuf (Debian's
    /// python3-protobuf; framing and CRC-32C written by the script). A row's path or label may be null (feature left out).
    /// </summary>
    public static void WriteTFRecordWithPython(string file, IReadOnlyList<(string? Path, int? Label)> rows, string imageKey = "image/encoded", string labelKey = "image/class/label", bool packed = true)
    {
        WriteTFRecordRecords(file, [.. rows.Select(r => new Dictionary<string, object?> { ["path"] = r.Path, ["label"] = r.Label, ["filename"] = r.Path is null ? null : Path.GetFileName(r.Path) })], imageKey, labelKey, packed);
    }

    /// <summary>
    /// Writes records as a TFRecord file with Python's protobuf: each a dictionary of "path" (the image), "label",
    /// "filename" (each may be null) and "features" (more features: key to {"float": [...]}, {"int64": [...]} or {"bytes": ["text", ...]}).
    /// </summary>
    public static void WriteTFRecordRecords(string file, IReadOnlyList<Dictionary<string, object?>> records, string imageKey = "image/encoded", string labelKey = "image/class/label", bool packed = true)
    {
        const string python = "/usr/bin/python3";
        using (Process? check = File.Exists(python) ? Process.Start(new ProcessStartInfo(python, ["-c", "import google.protobuf"]) { RedirectStandardError = true }) : null)
        {
            if (check is null || !check.WaitForExit(30_000) || check.ExitCode != 0)
            {
                Assert.Fail("The TFRecord tests need Python 3 with its protobuf runtime at /usr/bin/python3: run ./build.sh test as root (it installs it), or `apt-get install python3-protobuf`.");
            }
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        string spec = file + ".spec.json";
        File.WriteAllText(spec, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["out"] = file,
            ["imageKey"] = imageKey,
            ["labelKey"] = labelKey,
            ["packed"] = packed,
            ["records"] = records,
        }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        try
        {
            Run(python, Path.Combine(AppContext.BaseDirectory, "Sources", "Formats", "tfrecord_write.py"), spec);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    /// <summary>Runs a program to its end; a failure fails the test with its output.</summary>
    public static string Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using Process process = Process.Start(info)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', arguments)} did not finish in 120 s.");
        }

        Assert.AreEqual(0, process.ExitCode, $"{program} {string.Join(' ', arguments)} failed: {error}");
        return output.Result;
    }

    /// <summary>Asserts that a run over another form gave the folder run's batches: pixels, labels and sample indices; the paths are <paramref name="idOf"/>(sample index).</summary>
    public static void AssertSameAsFolders(IReadOnlyList<SeenBatch> folders, IReadOnlyList<SeenBatch> other, Func<int, string> idOf, string what)
    {
        Assert.HasCount(folders.Count, other, what);
        for (int i = 0; i < folders.Count; i++)
        {
            CollectionAssert.AreEqual(folders[i].SampleIndices, other[i].SampleIndices, $"{what} batch {i}");
            CollectionAssert.AreEqual(folders[i].Labels, other[i].Labels, $"{what} batch {i}");
            CollectionAssert.AreEqual(folders[i].Data, other[i].Data, $"{what} batch {i}: pixels");
            CollectionAssert.AreEqual(other[i].SampleIndices.Select(idOf).ToArray(), other[i].Paths, $"{what} batch {i}: paths");
        }
    }
}
