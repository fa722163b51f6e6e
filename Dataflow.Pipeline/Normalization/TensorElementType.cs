namespace Dataflow.Pipeline.Normalization;

/// <summary>The element type of batch tensors.</summary>
public enum TensorElementType
{
    /// <summary>32-bit floats, normalized with <see cref="PipelineOptions.Normalization"/> (<see cref="Batching.Batch.Data"/>).</summary>
    Float32,

    /// <summary>
    /// The 8-bit pixels as they are, 0–255, no conversion (<see cref="Batching.Batch.ByteData"/>): for trainers that
    /// normalise on the device, as DALI, FFCV and torchvision v2 hand over uint8. Requires
    /// <see cref="NormalizationOptions.None"/> (or another identity normalization).
    /// </summary>
    UInt8,
}
