using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomVerticalFlipTests : FlipTestsBase
{
    private protected override IAugmentation Create(double p) => new RandomVerticalFlip(p);

    private protected override FlipMode Mode => FlipMode.X;

    private protected override string Name => nameof(RandomVerticalFlip);
}
