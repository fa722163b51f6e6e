namespace Dataflow.Samples.Onnx;

/// <summary>One file's prediction, as written to the predictions file.</summary>
/// <param name="Path">The image file.</param>
/// <param name="Label">The file's class folder.</param>
/// <param name="Predicted">The predicted class index.</param>
/// <param name="PredictedName">The predicted class's name, when the model's classes are known.</param>
/// <param name="Score">The model's output for the predicted class.</param>
/// <param name="Correct">Whether the prediction is the file's class; null when the model does not know that class.</param>
public sealed record PredictionRecord(string Path, string Label, int Predicted, string? PredictedName, float Score, bool? Correct);
