using System.Text.Json;
using Dataflow.Samples.Training;
using Google.Protobuf;
using Onnx;

namespace Dataflow.Samples.Onnx;

/// <summary>
/// Writes a trained <see cref="MlpClassifier"/> as an ONNX model built with the ONNX schema's protobuf types:
/// the NCHW input [batch, C, H, W] is flattened, then each dense layer is a <c>Gemm</c> (with a <c>Relu</c>
/// after the hidden one), and a <c>Softmax</c> gives the class probabilities [batch, classes].
/// </summary>
public static class OnnxExport
{
    /// <summary>The graph's input name.</summary>
    public const string InputName = "input";

    /// <summary>The graph's output name.</summary>
    public const string OutputName = "probabilities";

    /// <summary>The metadata key holding the class names, a JSON array indexed by class.</summary>
    public const string ClassNamesKey = "class_names";

    /// <summary>The ONNX operator set the graph uses (Softmax over one axis since 13).</summary>
    public const long OpsetVersion = 13;

    /// <summary>Builds the ONNX model of <paramref name="model"/>.</summary>
    public static ModelProto Build(MlpClassifier model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = new GraphProto { Name = model.Kind == ModelKind.Mlp ? "mlp" : "softmax_regression" };
        graph.Input.Add(Value(InputName, [null, model.InputShape[0], model.InputShape[1], model.InputShape[2]]));
        graph.Node.Add(Node("Flatten", [InputName], "flat", Int("axis", 1)));
        string current = "flat";
        IReadOnlyList<DenseLayer> layers = model.Layers();
        for (int i = 0; i < layers.Count; i++)
        {
            DenseLayer layer = layers[i];
            string weights = $"dense{i}.weight", biases = $"dense{i}.bias", output = $"dense{i}";
            graph.Initializer.Add(Tensor(weights, [layer.Outputs, layer.Inputs], layer.Weights));
            graph.Initializer.Add(Tensor(biases, [layer.Outputs], layer.Biases));
            // Gemm computes A·Bᵀ + C with transB = 1: the weights stay [outputs, inputs] as the trainer keeps them.
            graph.Node.Add(Node("Gemm", [current, weights, biases], output, Int("transB", 1)));
            current = output;
            if (layer.Relu)
            {
                graph.Node.Add(Node("Relu", [current], output + ".relu"));
                current = output + ".relu";
            }
        }

        graph.Node.Add(Node("Softmax", [current], OutputName, Int("axis", 1)));
        graph.Output.Add(Value(OutputName, [null, model.ClassNames.Length]));

        var onnx = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "Dataflow.Samples",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = model.ToString(),
            Graph = graph,
        };
        onnx.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        onnx.MetadataProps.Add(new StringStringEntryProto { Key = ClassNamesKey, Value = JsonSerializer.Serialize(model.ClassNames) });
        return onnx;
    }

    /// <summary>Writes the ONNX model of <paramref name="model"/> to <paramref name="path"/> (through a temporary file, so a failed write leaves nothing half-written).</summary>
    /// <exception cref="Commands.UsageException">The file cannot be written; the message names it and <paramref name="option"/>.</exception>
    public static void Write(MlpClassifier model, string path, string option = "--export")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Output.OutputFile.Write(path, option, Build(model).WriteTo);
    }

    private static ValueInfoProto Value(string name, int?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (int? dim in dims)
        {
            shape.Dim.Add(dim is int d ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static TensorProto Tensor(string name, long[] dims, float[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };
}
