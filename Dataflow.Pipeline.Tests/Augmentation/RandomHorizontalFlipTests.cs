using Dataflow.Pipeline.Augmentation;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Augmentation;

[TestClass]
public sealed class RandomHorizontalFlipTests : FlipTestsBase
{
    private protected override IAugmentation Create(double p) => new RandomHorizontalFlip(p);

    private protected override FlipMode Mode => FlipMode.Y;

    private protected override string Name => nameof(RandomHorizontalFlip);
}
