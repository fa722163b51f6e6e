using System.Text.Json;
using Dataflow.Pipeline;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using Dataflow.Samples.Commands;
using Dataflow.Samples.Data;
using Dataflow.Samples.Onnx;
using Dataflow.Samples.Tests.Distributed;
using Dataflow.Samples.Training;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Dataflow.Samples.Tests;

/// <summary><c>train --export</c> and <c>predict</c>: the exported model through ONNX Runtime, and every bad model refused.</summary>
[TestClass]
public sealed class PredictCommandTests
{
    private readonly List<string> _folders = [];

    [TestCleanup]
    public void DeleteFolders() => _folders.ForEach(f => Directory.Delete(f, recursive: true));

    private string NewFolder()
    {
        string folder = SampleRun.AbsentPath("predict");
        Directory.CreateDirectory(folder);
        _folders.Add(folder);
        return folder;
    }

    /// <summary>An untrained softmax model over [1, 20, 20] inputs with the digits' classes, as ONNX.</summary>
    private static string WriteDigitsShapedModel(string folder)
    {
        var model = new MlpClassifier(ModelKind.Softmax, [1, 20, 20], [.. Enumerable.Range(0, 10).Select(i => i.ToString())], hidden: 1, seed: 5);
        string path = Path.Combine(folder, "softmax.onnx");
        OnnxExport.Write(model, path);
        return path;
    }

    [TestMethod]
    public async Task Predict_ExportedDigitsModel_SamePredictionsAndAccuracyAsTheTrainer()
    {
        string folder = NewFolder();
        string onnx = Path.Combine(folder, "model.onnx"), weights = Path.Combine(folder, "model.bin"), predictions = Path.Combine(folder, "predictions.json");

        JsonElement trained = (await SampleRun.RunAsync("train", "--epochs", "2", "--export", onnx, "--save", weights, "--json")).Json();
        JsonElement predicted = (await SampleRun.RunAsync("predict", "--model", onnx, "--validation-split", "0.2", "--out", predictions, "--json")).Json();

        // The trainer's own predictions: its saved weights over the same validation subset, as the trainer scores it.
        MlpClassifier model;
        using (FileStream stream = File.OpenRead(weights))
        {
            model = MlpClassifier.Load(stream);
        }

        var settings = new PipelineSettings
        {
            Dataset = new DatasetLocation(EmbeddedDigits.EnsureExtracted(SampleRun.SharedCacheRoot), IsEmbedded: true),
            Size = new ImageSize(20, 20), Color = ColorMode.Grayscale, Seed = 42, ValidationSplit = 0.2, BatchSize = 32, Epochs = 1,
            AugmentName = "none", Augmentations = [], Normalization = NormalizationOptions.ZeroToOne,
        };
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (ImagePipeline pipeline = ImagePipeline.CreateBuilder(settings.For(Subset.Validation, epochs: 1, forEvaluation: true)).BuildStream())
        {
            pipeline.Post(settings.Dataset.Root);
            pipeline.Complete();
            await foreach (Batch batch in pipeline.ReadAllAsync())
            {
                using (batch)
                {
                    for (int r = 0; r < batch.Count; r++)
                    {
                        expected.Add(batch.Paths[r], model.Predict(batch.Row(r)));
                    }
                }
            }
        }

        PredictionRecord[] records = JsonSerializer.Deserialize<PredictionRecord[]>(File.ReadAllText(predictions), Dataflow.Samples.Output.Json.Options)!;
        Assert.HasCount(1000, records);
        Assert.HasCount(1000, expected);
        foreach (PredictionRecord record in records)
        {
            Assert.AreEqual(expected[record.Path], record.Predicted, record.Path);
            Assert.AreEqual(record.Predicted.ToString(), record.PredictedName);
            Assert.AreEqual(record.Label == record.PredictedName, record.Correct);
        }

        double trainerAccuracy = trained.GetProperty("validationAccuracy").GetDouble();
        Assert.AreEqual(trainerAccuracy, predicted.GetProperty("accuracy").GetDouble());
        Assert.AreEqual(trainerAccuracy, (double)records.Count(r => r.Correct == true) / records.Length);
        Assert.AreEqual(1000, predicted.GetProperty("labelled").GetInt32());
        Assert.AreEqual(onnx, trained.GetProperty("exportedTo").GetString());
    }

    [TestMethod]
    public void Export_Graph_IsFlattenGemmReluGemmSoftmaxWithTheTrainersWeights()
    {
        var model = new MlpClassifier(ModelKind.Mlp, [1, 4, 3], ["a", "b", "c"], hidden: 5, seed: 9);

        ModelProto onnx = ModelProto.Parser.ParseFrom(OnnxExport.Build(model).ToByteArray());

        CollectionAssert.AreEqual(new[] { "Flatten", "Gemm", "Relu", "Gemm", "Softmax" }, onnx.Graph.Node.Select(n => n.OpType).ToArray());
        Assert.AreEqual("[\"a\",\"b\",\"c\"]", onnx.MetadataProps.Single(p => p.Key == OnnxExport.ClassNamesKey).Value);
        IReadOnlyList<DenseLayer> layers = model.Layers();
        CollectionAssert.AreEqual(layers[0].Weights, onnx.Graph.Initializer.Single(t => t.Name == "dense0.weight").FloatData.ToArray());
        CollectionAssert.AreEqual(new long[] { 5, 12 }, onnx.Graph.Initializer.Single(t => t.Name == "dense0.weight").Dims.ToArray());
        CollectionAssert.AreEqual(layers[1].Biases, onnx.Graph.Initializer.Single(t => t.Name == "dense1.bias").FloatData.ToArray());

        // ONNX Runtime runs it and agrees with the trainer on a row.
        string folder = NewFolder();
        string path = Path.Combine(folder, "mlp.onnx");
        OnnxExport.Write(model, path);
        float[] row = [.. Enumerable.Range(0, 12).Select(i => (i * 37 % 11) / 10f)];
        using var session = new InferenceSession(path);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(row, [1, 1, 4, 3]);
        using var runOptions = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> output = session.Run(runOptions, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        float[] probabilities = output[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.AreEqual(1f, probabilities.Sum(), 1e-5f);
        Assert.AreEqual(model.Predict(row), Array.IndexOf(probabilities, probabilities.Max()));
    }

    [TestMethod]
    public async Task CreateInput_OrtValueIsTheBatchsOwnMemory()
    {
        using TempDataset data = new TempDataset().WithClasses(2, 3, 20, 20);
        using OnnxClassifier classifier = OnnxClassifier.Open(WriteDigitsShapedModel(NewFolder()));
        var options = new PipelineOptions { Width = 20, Height = 20, ColorMode = ColorMode.Grayscale, BatchSize = 4, Epochs = 1 };
        await using ImagePipeline pipeline = ImagePipeline.CreateBuilder(options).BuildStream();
        pipeline.Post(data.Root);
        pipeline.Complete();
        int batches = 0;
        await foreach (Batch batch in pipeline.ReadAllAsync())
        {
            using (batch)
            {
                using OrtValue value = classifier.CreateInput(batch);
                unsafe
                {
                    fixed (float* tensor = value.GetTensorMutableDataAsSpan<float>())
                    {
                        Assert.AreEqual(batch.DataPointer, (nint)tensor);
                    }
                }

                CollectionAssert.AreEqual(batch.Shape.Select(d => (long)d).ToArray(), value.GetTensorTypeAndShape().Shape);
                Assert.HasCount(batch.Count, classifier.Predict(batch));
                batches++;
            }
        }

        // Seen once with one batch in a full parallel suite run, not reproduced since: the report says where the rows went.
        Assert.AreEqual(2, batches, pipeline.Report.ToString());
    }

    [TestMethod]
    public async Task Predict_CsvOutputAndLabelsFile_OneLinePerImageAndAccuracyByClassName()
    {
        string folder = NewFolder();
        string model = WriteDigitsShapedModel(folder);
        using TempDataset data = new TempDataset().WithClasses(2, 3, 24, 24);
        // The folder's classes are class0 and class1: a labels file naming them makes the folder labelled.
        string labels = Path.Combine(folder, "labels.txt");
        File.WriteAllLines(labels, ["class0", "class1", .. Enumerable.Range(2, 8).Select(i => $"other{i}")]);
        string csv = Path.Combine(folder, "p.csv");

        SampleRun unlabelled = await SampleRun.RunAsync("predict", "--model", model, "--data", data.Root, "--out", csv);
        Assert.AreEqual(0, unlabelled.ExitCode, unlabelled.Error);
        Assert.Contains("no accuracy: no class folder is named after a class of the model", unlabelled.Output);
        string[] lines = File.ReadAllLines(csv);
        Assert.AreEqual(PredictionFile.CsvHeader, lines[0]);
        Assert.HasCount(7, lines);

        JsonElement labelled = (await SampleRun.RunAsync("predict", "--model", model, "--data", data.Root, "--labels", labels, "--out", csv, "--json")).Json();
        Assert.AreEqual(6, labelled.GetProperty("labelled").GetInt32());
        Assert.AreEqual(6, labelled.GetProperty("images").GetInt32());
        CollectionAssert.AreEqual(new[] { 32, 1, 20, 20 }, labelled.GetProperty("batchShape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    [TestMethod]
    [DataRow("bilinear", Interpolation.Bilinear)]
    [DataRow("antialiased", Interpolation.AntialiasedBilinear)]
    public async Task Predict_ResizeTorchvision_ModelSeesShorterSideThenCenterCropPixels(string interpolation, Interpolation expectedInterpolation)
    {
        string folder = NewFolder();
        // A model whose scores are its input's pixels (Flatten): the predicted class is the brightest pixel's index in
        // the 20x20 input and the score its value, so both say where the transform put each image's bright spot.
        string path = Path.Combine(folder, "flatten.onnx");
        var graph = new GraphProto { Name = "flatten" };
        graph.Input.Add(TensorValue("input", TensorProto.Types.DataType.Float));
        graph.Output.Add(new ValueInfoProto
        {
            Name = "output",
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor
                {
                    ElemType = (int)TensorProto.Types.DataType.Float,
                    Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimValue = 400 } } },
                },
            },
        });
        graph.Node.Add(new NodeProto { OpType = "Flatten", Input = { "input" }, Output = { "output" }, Attribute = { new AttributeProto { Name = "axis", I = 1, Type = AttributeProto.Types.AttributeType.Int } } });
        File.WriteAllBytes(path, new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } }.ToByteArray());
        using var data = new TempDataset();
        // Landscape and portrait images with a soft bright spot off centre, where the crop-then-resize of a CenterCrop
        // augmentation and torchvision's resize-then-crop map it to different pixels.
        (int W, int H, int X, int Y)[] spots = [(64, 40, 44, 22), (64, 40, 22, 16), (40, 64, 18, 44), (40, 64, 24, 20), (90, 50, 58, 30), (50, 90, 20, 60)];
        for (int i = 0; i < spots.Length; i++)
        {
            (int w, int h, int x, int y) = spots[i];
            using var image = new OpenCvSharp.Mat(h, w, OpenCvSharp.MatType.CV_8UC1);
            for (int r = 0; r < h; r++)
            {
                for (int c = 0; c < w; c++)
                {
                    image.Set(r, c, (byte)Math.Round(250 * Math.Exp(-((c - x) * (c - x) + (r - y) * (r - y)) / 18.0)));
                }
            }

            data.Write($"class{i % 2}", $"spot{i}.png", image);
        }

        string json = Path.Combine(folder, "p.json");
        SampleRun run = await SampleRun.RunAsync("predict", "--model", path, "--data", data.Root, "--resize", "torchvision", "--interpolation", interpolation, "--out", json);

        Assert.AreEqual(0, run.ExitCode, run.Error);
        Assert.Contains("nchw, gray, torchvision, zero-to-one", run.Output);
        var decoder = new ImageDecoder(20, 20, ColorMode.Grayscale, ResizeMode.ShorterSideThenCenterCrop, expectedInterpolation);
        PredictionRecord[] records = JsonSerializer.Deserialize<PredictionRecord[]>(File.ReadAllText(json), Dataflow.Samples.Output.Json.Options)!;
        Assert.HasCount(spots.Length, records);
        foreach (PredictionRecord record in records)
        {
            using OpenCvSharp.Mat expected = decoder.Decode(File.ReadAllBytes(record.Path), record.Path);
            expected.GetArray(out byte[] pixels);
            int brightest = Array.IndexOf(pixels, pixels.Max());
            Assert.AreEqual(brightest, record.Predicted, $"{record.Path}: the brightest pixel's index");
            Assert.AreEqual(pixels.Max() / 255f, record.Score, 1e-6f, record.Path);
        }
    }

    [TestMethod]
    public async Task Predict_ShapeDoesNotFit_OneLineNamingBothShapesBeforeAnyImageIsRead()
    {
        string folder = NewFolder();
        string model = WriteDigitsShapedModel(folder);
        using TempDataset data = new TempDataset().WithClasses(2, 2, 24, 24);
        // With --fail-fast a read image would end the run on this file first.
        data.WriteBytes("class0/broken.png", [1, 2, 3]);
        string csv = Path.Combine(folder, "p.csv");

        SampleRun run = await SampleRun.RunAsync("predict", "--model", model, "--data", data.Root, "--color", "rgb", "--fail-fast", "--out", csv);

        run.AssertOneLineError("the model's input 'input' is [batch, 1, 20, 20] float32, but the pipeline gives [32, 3, 20, 20] float32 (NCHW)", ExitCodes.UsageError);
        Assert.IsFalse(File.Exists(csv));
        (await SampleRun.RunAsync("predict", "--model", model, "--data", data.Root, "--size", "28x28", "--out", csv))
            .AssertOneLineError("[batch, 1, 20, 20] float32, but the pipeline gives [32, 1, 28, 28] float32", ExitCodes.UsageError);
    }

    [TestMethod]
    [DataRow("--mean", "1,2", "--mean must have 1 value for a 1-channel (Grayscale) image, had 2.")]
    [DataRow("--std", "0,0,0", "--std values must be finite and above 0, was [0, 0, 0].")]
    [DataRow("--scale", "-1", "Parameter \"Normalization.Scale\" must be a finite number above 0, was -1.")]
    public async Task Predict_NormalizationRefusedAsAProcess_OneLineAndExitTwoInEveryRun(string option, string value, string expected)
    {
        // The pipeline's build fails at once, with the model open: the process ends while the library's start-up
        // warm-up may still be decoding. Each run is a real process, so that its exit (and a crash in it) is seen.
        string folder = NewFolder();
        string model = WriteDigitsShapedModel(folder);
        using TempDataset data = new TempDataset().WithClasses(2, 2, 24, 24);

        for (int i = 0; i < 3; i++)
        {
            SamplesProcess.Result run = await SamplesProcess.RunAsync(new Dictionary<string, string>(),
                "predict", "--model", model, "--data", data.Root, option, value, "--out", Path.Combine(folder, "p.csv"));

            Assert.AreEqual(ExitCodes.UsageError, run.ExitCode, $"run {i}: {run.Output}{run.Error}");
            Assert.Contains(expected, run.Error);
            Assert.HasCount(1, run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), run.Error);
        }
    }

    [TestMethod]
    public async Task Predict_ModelTakesBytes_OneLineNamingTheElementType()
    {
        string folder = NewFolder();
        string path = Path.Combine(folder, "bytes.onnx");
        var graph = new GraphProto { Name = "identity" };
        graph.Input.Add(TensorValue("input", TensorProto.Types.DataType.Uint8));
        graph.Output.Add(TensorValue("output", TensorProto.Types.DataType.Uint8));
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "input" }, Output = { "output" } });
        var onnx = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } };
        File.WriteAllBytes(path, onnx.ToByteArray());

        SampleRun run = await SampleRun.RunAsync("predict", "--model", path, "--out", Path.Combine(folder, "p.csv"));

        run.AssertOneLineError("the model's input 'input' is [batch, 1, 20, 20] uint8, but the pipeline gives [32, 1, 20, 20] float32 (NCHW): the model must take float32 input", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Predict_MissingModel_OneLineExitTwo()
    {
        string missing = SampleRun.AbsentPath("model") + ".onnx";

        (await SampleRun.RunAsync("predict", "--model", missing)).AssertOneLineError($"--model: the file '{missing}' does not exist.", ExitCodes.UsageError);
    }

    [TestMethod]
    public async Task Predict_CorruptModel_OneLineExitOne()
    {
        string folder = NewFolder();
        string path = Path.Combine(folder, "corrupt.onnx");
        byte[] whole = File.ReadAllBytes(WriteDigitsShapedModel(folder));
        File.WriteAllBytes(path, whole[..(whole.Length / 3)]);

        (await SampleRun.RunAsync("predict", "--model", path)).AssertOneLineError($"--model: '{path}' is not a usable ONNX model:", ExitCodes.Failed);
    }

    [TestMethod]
    public async Task Train_ExportIntoMissingFolder_FailsBeforeTraining()
    {
        string missing = Path.Combine(SampleRun.AbsentPath("export"), "m.onnx");

        SampleRun run = await SampleRun.RunAsync("train", "--epochs", "1", "--export", missing);

        run.AssertOneLineError($"--export: the folder '{Path.GetDirectoryName(missing)}' does not exist.", ExitCodes.UsageError);
        Assert.DoesNotContain("epoch 1/1", run.Output);
    }

    private static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType type)
    {
        var shape = new TensorShapeProto
        {
            Dim =
            {
                new TensorShapeProto.Types.Dimension { DimParam = "batch" }, new TensorShapeProto.Types.Dimension { DimValue = 1 },
                new TensorShapeProto.Types.Dimension { DimValue = 20 }, new TensorShapeProto.Types.Dimension { DimValue = 20 },
            },
        };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
