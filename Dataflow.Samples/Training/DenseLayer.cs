namespace Dataflow.Samples.Training;

/// <summary>One dense layer of a <see cref="MlpClassifier"/>: <c>y = W·x + b</c>.</summary>
/// <param name="Inputs">Inputs per row.</param>
/// <param name="Outputs">Outputs per row.</param>
/// <param name="Weights">The weights, [Outputs, Inputs] row-major (a copy).</param>
/// <param name="Biases">The biases, [Outputs] (a copy).</param>
/// <param name="Relu">True when a ReLU follows the layer.</param>
public sealed record DenseLayer(int Inputs, int Outputs, float[] Weights, float[] Biases, bool Relu);
