using Dataflow.Pipeline.Batching;
using Dataflow.Pipeline.Memory;

namespace Dataflow.Pipeline.Normalization;

/// <summary>The normalize stage: a sample's pixels, normalized (or as bytes, for the byte output), straight into its row of the batch tensor.</summary>
internal sealed class NormalizeStage
{
    private readonly Normalizer _normalizer;
    private readonly bool _swapRedBlue;
    private readonly InFlightLedger _ledger;
    private readonly bool _bytes;

    public NormalizeStage(Normalizer normalizer, bool swapRedBlue, InFlightLedger ledger, TensorElementType output = TensorElementType.Float32)
    {
        _bytes = output == TensorElementType.UInt8;
        _normalizer = normalizer;
        _swapRedBlue = swapRedBlue;
        _ledger = ledger;
    }

    public Normalizer Normalizer => _normalizer;

    public void Normalize(ImageSample sample)
    {
        // The assembler exists once the dataset (and so the class count) is known: the sample's epoch refers to it.
        BatchAssembler assembler = sample.Batch.Epoch.Dataset.Assembler;
        if (sample.TargetState is Targets.TargetState targets)
        {
            // The image is final: the targets' keep rules apply now, once.
            sample.RowTargets = targets.Finish();
            sample.TargetState = null;
        }

        if (_bytes)
        {
            _normalizer.WriteBytes(sample.Image!, assembler.ByteRowFor(sample), _swapRedBlue);
        }
        else
        {
            _normalizer.Write(sample.Image!, assembler.RowFor(sample), _swapRedBlue);
        }

        sample.IsWritten = true;
    }

    /// <summary>Past this stage a sample is only metadata: its pixels live in the batch tensor (or it was skipped).</summary>
    public ImageSample Finish(ImageSample sample)
    {
        _ledger.Release(sample);
        return sample;
    }
}
