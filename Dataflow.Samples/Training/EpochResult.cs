namespace Dataflow.Samples.Training;

/// <summary>What one epoch of training did.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Train">Loss and accuracy on the training batches, each scored just before its step.</param>
/// <param name="Validation">Loss and accuracy on the validation subset after the epoch; null without a split.</param>
/// <param name="Elapsed">Wall time of the epoch's training (the validation pass not included).</param>
public sealed record EpochResult(int Epoch, int Epochs, Score Train, Score? Validation, TimeSpan Elapsed)
{
    /// <summary>Training images per second over the epoch.</summary>
    public double ImagesPerSecond => Elapsed.TotalSeconds > 0 ? Train.Rows / Elapsed.TotalSeconds : 0;
}
