namespace Dataflow.Tools.DecodeQuality;

/// <summary>What <see cref="DecodeQualityCommand"/> measured.</summary>
/// <param name="Size">Target width and height.</param>
/// <param name="Images">JPEGs measured.</param>
/// <param name="JpegsFound">JPEGs in the dataset.</param>
/// <param name="Reductions">How many images the reduced path decoded at each reduction (1 = full size).</param>
/// <param name="MaxDifference">Largest absolute difference, in 8-bit levels, between reduced + bilinear and full + bilinear.</param>
/// <param name="MeanDifference">Mean absolute difference over every channel value of every image.</param>
/// <param name="ReducedPsnr">PSNR (dB, over all images' pixels) of reduced + bilinear against full decode + area resize.</param>
/// <param name="FullPsnr">PSNR (dB, over all images' pixels) of full + bilinear against full decode + area resize.</param>
/// <param name="ReducedOnlyPsnr"><paramref name="ReducedPsnr"/> over the images decoded at a reduction only (null when none was).</param>
/// <param name="FullOnlyPsnr"><paramref name="FullPsnr"/> over the images decoded at a reduction only (null when none was).</param>
public sealed record DecodeQualityResult(int Size, int Images, int JpegsFound, IReadOnlyDictionary<int, int> Reductions,
    double MaxDifference, double MeanDifference, double ReducedPsnr, double FullPsnr, double? ReducedOnlyPsnr, double? FullOnlyPsnr);
