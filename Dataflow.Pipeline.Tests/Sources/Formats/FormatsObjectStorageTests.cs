using Dataflow.Pipeline.Sources;
using Dataflow.Pipeline.Tests.Storage;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Sources.Formats;

/// <summary>Parquet and TFRecord datasets read from s3rver give the batches the same files give on local disk.</summary>
[TestClass]
public sealed class FormatsObjectStorageTests
{
    [TestMethod]
    public async Task Run_ParquetAndTFRecordInS3_SameBatchesAsLocalFiles()
    {
        using TempDataset folders = ShardTestData.Folders();
        var (rows, classes) = FormatTestData.Rows(folders.Root);
        string local = folders.Root + "-formats";
        await FormatTestData.WriteParquetAsync(Path.Combine(local, "hf", "data", "train-00000-of-00002.parquet"), rows[..7], classes, 3);
        await FormatTestData.WriteParquetAsync(Path.Combine(local, "hf", "data", "train-00001-of-00002.parquet"), rows[7..], classes, 3);
        FormatTestData.WriteTFRecordWithPython(Path.Combine(local, "tfr", "train.tfrecord"), [.. rows.Select(r => ((string?)r.Path, (int?)r.Label))]);
        using S3Server server = S3Server.Start();
        try
        {
            await server.CreateContainerAsync();
            await server.UploadFolderAsync(local, "formats/");
            PipelineOptions options = ShardTestData.Options(batchSize: 5, epochs: 2);
            foreach (string form in new[] { "hf", "tfr" })
            {
                using OwnedSource localSource = Create(form, StorageOptions.Default), remoteSource = Create(form, server.Options());
                var (expected, _) = await ShardTestData.RunAsync(localSource.Source, options, Path.Combine(local, form));
                var (actual, pipeline) = await ShardTestData.RunAsync(remoteSource.Source, options, server.Root("formats/" + form));
                Assert.HasCount(expected.Count, actual, form);
                for (int b = 0; b < expected.Count; b++)
                {
                    CollectionAssert.AreEqual(expected[b].Data, actual[b].Data, $"{form} batch {b}: pixels");
                    CollectionAssert.AreEqual(expected[b].Labels, actual[b].Labels, $"{form} batch {b}");
                    CollectionAssert.AreEqual(expected[b].Paths.Select(p => p[(p.IndexOf(form, StringComparison.Ordinal) + form.Length)..]).ToArray(),
                        actual[b].Paths.Select(p => p[(p.IndexOf(form, StringComparison.Ordinal) + form.Length)..]).ToArray(), $"{form} batch {b}: paths");
                }

                Assert.AreEqual(24, pipeline.Report.Batched, form);
            }
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    [TestMethod]
    public async Task Run_DetectionParquetAndTFRecordInS3_SameBoxesLabelsAndPixelsAsTheDrawnOnes()
    {
        using var data = new TempDataset();
        List<DetectionImage> images = DetectionTestData.WriteImages(Path.Combine(data.Root, "images"));
        string local = Path.Combine(data.Root, "formats");
        DetectionTestData.WriteParquet(Path.Combine(local, "hf", "train.parquet"), images);
        DetectionTestData.WriteTFRecord(Path.Combine(local, "tfr", "train.tfrecord"), images);
        using S3Server server = S3Server.Start();
        await server.CreateContainerAsync();
        await server.UploadFolderAsync(local, "detection/");
        foreach ((string form, string file) in new[] { ("hf", "train.parquet"), ("tfr", "train.tfrecord") })
        {
            using OwnedSource remote = Create(form, server.Options());
            string root = server.Root($"detection/{form}/{file}");
            var (batches, pipeline) = await DetectionTestData.RunAsync(remote.Source, root);
            await using ImagePipeline _ = pipeline;
            DetectionTestData.AssertBatches(batches, images, i => root + "#" + i, 1e-4f, form);
        }
    }

    private static OwnedSource Create(string form, StorageOptions storage) => form == "hf"
        ? new(new ParquetSampleSource(new ParquetSourceOptions { Storage = storage }))
        : new(new TFRecordSampleSource(new TFRecordSourceOptions { Storage = storage }));

    private sealed class OwnedSource(Dataflow.Pipeline.Discovery.ISampleSource source) : IDisposable
    {
        public Dataflow.Pipeline.Discovery.ISampleSource Source { get; } = source;

        public void Dispose() => (Source as IDisposable)?.Dispose();
    }
}
