namespace Dataflow.Tools.Soak;

/// <summary>One epoch of a soak run, measured when its last batch had been handed over.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Images">Rows handed to the trainer in this epoch.</param>
/// <param name="Skipped">Files skipped (with a reason in the report) in this epoch.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
/// <param name="RssMiB">Resident memory at the end of the epoch (VmRSS).</param>
/// <param name="PeakRssMiB">The process's peak resident memory so far (VmHWM).</param>
/// <param name="ManagedMiB">Managed heap still in use after a full collection (taken after the resident-memory reading).</param>
/// <param name="TensorsAllocated">Batch tensors the pool has ever allocated (flat once warm).</param>
/// <param name="LiveMats">OpenCV Mats held by the pipeline at that moment.</param>
/// <param name="BuffersOutstanding">Byte buffers rented and not returned at that moment.</param>
internal sealed record SoakEpoch(int Epoch, long Images, int Skipped, double Seconds, double RssMiB, double PeakRssMiB, double ManagedMiB,
    long TensorsAllocated, long LiveMats, long BuffersOutstanding)
{
    /// <summary>Images per second in this epoch.</summary>
    public double ImagesPerSecond => Images / Math.Max(1e-9, Seconds);
}
