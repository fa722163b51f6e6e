using System.Numerics.Tensors;
using System.Text.Json;
using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Normalization;
using Dataflow.Samples.Commands;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Dataflow.Samples.Onnx;

/// <summary>One row's prediction: the arg-max class and its output value.</summary>
/// <param name="Class">The predicted class index.</param>
/// <param name="Score">The model's output for that class (a probability when the model ends in a softmax).</param>
public readonly record struct Prediction(int Class, float Score);

/// <summary>
/// An ONNX image classifier run with ONNX Runtime over pipeline batches: one image input of four dimensions
/// (NCHW or NHWC), one output of class scores per row. Each batch is handed to ONNX Runtime as an
/// <see cref="OrtValue"/> over the batch's own memory, without a copy.
/// </summary>
public sealed class OnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private float[]? _padded;

    private OnnxClassifier(InferenceSession session, string path)
    {
        _session = session;
        Path = path;
        (string inputName, NodeMetadata input) = session.InputMetadata.First();
        (string outputName, NodeMetadata output) = session.OutputMetadata.First();
        _inputNames = [inputName];
        _outputNames = [outputName];
        InputName = inputName;
        InputDimensions = input.IsTensor ? [.. input.Dimensions] : [];
        InputElementType = input.IsTensor ? input.ElementDataType : TensorElementType.DataTypeMax;
        OutputElementType = output.IsTensor ? output.ElementDataType : TensorElementType.DataTypeMax;
        OutputDimensions = output.IsTensor ? [.. output.Dimensions] : [];
        ClassNames = session.ModelMetadata.CustomMetadataMap.TryGetValue(OnnxExport.ClassNamesKey, out string? names)
            ? TryParseNames(names)
            : null;
    }

    /// <summary>The model file.</summary>
    public string Path { get; }

    /// <summary>The image input's name.</summary>
    public string InputName { get; }

    /// <summary>The image input's dimensions; -1 for a symbolic one (usually the batch).</summary>
    public IReadOnlyList<int> InputDimensions { get; }

    /// <summary>The image input's element type.</summary>
    public TensorElementType InputElementType { get; }

    /// <summary>The scores output's element type.</summary>
    public TensorElementType OutputElementType { get; }

    /// <summary>The scores output's dimensions; -1 for a symbolic one.</summary>
    public IReadOnlyList<int> OutputDimensions { get; }

    /// <summary>Class names from the model's <c>class_names</c> metadata (written by <c>train --export</c>), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; private set; }

    /// <summary>The input's shape as text, <c>batch</c> for a symbolic dimension.</summary>
    public string InputShapeText => "[" + string.Join(", ", InputDimensions.Select(d => d < 0 ? "batch" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    /// <summary>Opens <paramref name="path"/>.</summary>
    /// <exception cref="UsageException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime cannot load it, or it is not an image classifier (one float tensor input, a float tensor output).</exception>
    public static OnnxClassifier Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new UsageException($"--model: the file '{full}' does not exist.");
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(full);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"--model: '{full}' is not a usable ONNX model: {FirstLine(e.Message)}", e);
        }

        var classifier = new OnnxClassifier(session, full);
        if (classifier.InputDimensions.Count != 4 || classifier.OutputDimensions.Count < 1)
        {
            classifier.Dispose();
            throw new InvalidDataException(
                $"--model: '{full}' is not an image classifier: its input '{classifier.InputName}' has shape {classifier.InputShapeText} (four dimensions expected) and it has {session.OutputMetadata.Count} tensor output(s).");
        }

        return classifier;
    }

    /// <summary>Replaces the class names with those of a labels file (one name a line, in class order).</summary>
    /// <exception cref="UsageException">The file does not exist or names no class.</exception>
    public void UseLabels(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new UsageException($"--labels: the file '{full}' does not exist.");
        }

        string[] names = [.. File.ReadAllLines(full).Select(l => l.Trim()).Where(l => l.Length > 0)];
        ClassNames = names.Length > 0 ? names : throw new UsageException($"--labels: '{full}' names no class (one name a line).");
    }

    /// <summary>
    /// Checks, before any image is read, that the pipeline's batches fit the model's input: element type
    /// float32, and every fixed dimension equal to the batch's.
    /// </summary>
    /// <param name="batchShape">The pipeline's full-batch shape, [batch size, ...] in its layout.</param>
    /// <param name="layout">The pipeline's layout (for the message).</param>
    /// <exception cref="UsageException">They do not fit; the message names both shapes and the options to change.</exception>
    public void EnsureAccepts(int[] batchShape, TensorLayout layout)
    {
        ArgumentNullException.ThrowIfNull(batchShape);
        string pipelineShape = $"[{string.Join(", ", batchShape)}] float32 ({layout.ToString().ToUpperInvariant()})";
        if (InputElementType != TensorElementType.Float)
        {
            throw new UsageException(
                $"--model: the model's input '{InputName}' is {InputShapeText} {InputElementType.ToString().ToLowerInvariant()}, but the pipeline gives {pipelineShape}: the model must take float32 input.");
        }

        if (OutputElementType != TensorElementType.Float)
        {
            throw new UsageException($"--model: the model's output is {OutputElementType.ToString().ToLowerInvariant()}; float32 class scores are needed.");
        }

        for (int i = 0; i < 4; i++)
        {
            if (InputDimensions[i] >= 0 && InputDimensions[i] != batchShape[i])
            {
                string hint = i == 0 ? "--batch-size" : "--size, --color and --layout";
                throw new UsageException(
                    $"--model: the model's input '{InputName}' is {InputShapeText} float32, but the pipeline gives {pipelineShape}; set {hint} to match.");
            }
        }
    }

    /// <summary>
    /// The model's input for <paramref name="batch"/>: an <see cref="OrtValue"/> over <see cref="Batch.Memory"/>
    /// (pinned while the value lives, no copy). Only a model with a fixed batch size, given a last batch with
    /// fewer rows, gets a padded copy. Dispose the value before the batch.
    /// </summary>
    public OrtValue CreateInput(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int fixedRows = InputDimensions[0];
        long[] shape = [.. batch.Shape.Select(d => (long)d)];
        if (fixedRows <= batch.Count)
        {
            return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, batch.Memory, shape);
        }

        _padded ??= new float[fixedRows * batch.SampleLength];
        batch.Data.CopyTo(_padded);
        shape[0] = fixedRows;
        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _padded.AsMemory(), shape);
    }

    /// <summary>Runs the model on <paramref name="batch"/> (through <see cref="CreateInput"/>) and returns each row's arg-max class.</summary>
    /// <exception cref="InvalidDataException">The model's output does not have one row of scores per image.</exception>
    public Prediction[] Predict(Batch batch)
    {
        using OrtValue value = CreateInput(batch);
        long inputRows = value.GetTensorTypeAndShape().Shape[0];
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, _inputNames, [value], _outputNames);
        ReadOnlySpan<float> scores = outputs[0].GetTensorDataAsSpan<float>();
        long rows = outputs[0].GetTensorTypeAndShape().Shape[0];
        if (rows != inputRows || scores.Length % rows != 0 || scores.Length == 0)
        {
            throw new InvalidDataException($"--model: the output '{_outputNames[0]}' has {scores.Length} values for {inputRows} images; one row of class scores per image is needed.");
        }

        int classes = (int)(scores.Length / rows);
        var predictions = new Prediction[batch.Count];
        for (int r = 0; r < batch.Count; r++)
        {
            ReadOnlySpan<float> row = scores.Slice(r * classes, classes);
            int best = TensorPrimitives.IndexOfMax(row);
            predictions[r] = new Prediction(best, row[best]);
        }

        return predictions;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static string[]? TryParseNames(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
