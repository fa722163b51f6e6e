namespace Dataflow.Pipeline.Normalization;

/// <summary>The memory order of a batch tensor.</summary>
public enum TensorLayout
{
    /// <summary>[batch, channel, height, width] (PyTorch).</summary>
    Nchw,
    /// <summary>[batch, height, width, channel] (Keras, TensorFlow).</summary>
    Nhwc,
}
