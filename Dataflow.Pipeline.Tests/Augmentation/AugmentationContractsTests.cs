using System.Collections.Concurrent;
using Dataflow.Pipeline.Augmentation;
using Dataflow.Pipeline.Decoding;
using Dataflow.Pipeline.Normalization;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Augmentation;

/// <summary>
/// The contracts an augmentation declares: which channel orders it may see (<see cref="IAugmentation.HandlesAnyChannelOrder"/>)
/// and the size it gives (<see cref="IAugmentation.OutputSize"/>); combinators join their transforms' declarations.
/// </summary>
[TestClass]
public sealed class AugmentationContractsTests
{
    private static readonly Size Input = new(32, 24);

    private static IAugmentation[] BuiltIns() =>
    [
        new CenterCrop(), new ColorJitter(0.4, 0.4, 0.4, 0.1), new GaussianBlur(3), new RandomAffine(degrees: (-10, 10)), new RandomErasing(),
        new RandomGrayscale(), new RandomHorizontalFlip(), new RandomVerticalFlip(), new RandomResizedCrop(), new RandomRotation(10),
        new RandomCrop(padding: 4), new OneOf(new RandomHorizontalFlip(), new GaussianBlur(3)), new RandomApply(0.5, new RandomRotation(5)),
    ];

    [TestMethod]
    public void BuiltIns_DeclareBothContracts_AnyChannelOrderAndTheInputsSize()
    {
        foreach (IAugmentation augmentation in BuiltIns())
        {
            Assert.IsTrue(augmentation.HandlesAnyChannelOrder, augmentation.ToString());
            Assert.AreEqual(Input, augmentation.OutputSize(Input), augmentation.ToString());
        }
    }

    [TestMethod]
    public void UserAugmentation_DeclaringNothing_SeesOnlyThePipelinesOrderAndHasNoDeclaredSize()
    {
        IAugmentation user = new ChannelRecorder();
        Assert.IsFalse(user.HandlesAnyChannelOrder);
        Assert.IsNull(user.OutputSize(Input));
    }

    [TestMethod]
    public void Combinators_HandleAnyOrderOnlyWhenEveryTransformDoes()
    {
        Assert.IsFalse(new OneOf(new RandomHorizontalFlip(), new ChannelRecorder()).HandlesAnyChannelOrder);
        Assert.IsFalse(new RandomApply(0.5, new GaussianBlur(3), new ChannelRecorder()).HandlesAnyChannelOrder);
        Assert.IsFalse(new OneOf(new RandomApply(1, new OneOf(new ChannelRecorder())), new GaussianBlur(3)).HandlesAnyChannelOrder);
        Assert.IsTrue(new OneOf(new RandomApply(1, new ChannelRecorder(declared: true)), new GaussianBlur(3)).HandlesAnyChannelOrder);
    }

    [TestMethod]
    public void OutputSize_CropsAndCombinators_TheSizeTheyGive()
    {
        var crop = new RandomCrop(24, 16);
        Assert.AreEqual(new Size(24, 16), crop.OutputSize(Input));
        Assert.AreEqual(new Size(24, 24), new RandomCrop(24).OutputSize(Input));
        Assert.AreEqual(new Size(32, 16), new RandomCrop(height: 16, padding: 2).OutputSize(Input));

        // A combinator whose outcomes differ declares one that differs from the input: the pipeline refuses it.
        Assert.AreEqual(new Size(24, 16), new OneOf(new RandomHorizontalFlip(), crop).OutputSize(Input));
        Assert.AreEqual(new Size(24, 16), new RandomApply(0.5, crop).OutputSize(Input));
        Assert.AreEqual(Input, new RandomApply(0.5, crop, new RandomCrop(32, 24, padding: 8)).OutputSize(Input));
        Assert.AreEqual(new Size(24, 16), new OneOf(crop, new RandomCrop(24, 16, padding: 1)).OutputSize(Input));
        Assert.IsNull(new OneOf(new RandomHorizontalFlip(), new ChannelRecorder()).OutputSize(Input));
        Assert.IsNull(new RandomApply(1, new ChannelRecorder(), crop).OutputSize(Input));
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    public async Task Run_RgbPipelineWithAUserAugmentation_ItSeesRedFirstWhereverItIsInTheList(bool nested, bool nchwFast)
    {
        // A pure red image: a transform that is handed BGR sees 255 in the last channel instead of the first.
        using var data = new TempDataset();
        using var red = new Mat(12, 16, MatType.CV_8UC3, new Scalar(0, 0, 255));
        for (int i = 0; i < 3; i++)
        {
            data.Write("red", $"r{i}.png", red);
        }

        var recorder = new ChannelRecorder();
        IAugmentation user = nested ? new OneOf(new RandomApply(1, recorder)) : recorder;
        var options = new PipelineOptions
        {
            Width = 16, Height = 12, BatchSize = 3, ColorMode = ColorMode.Rgb,
            Layout = nchwFast ? TensorLayout.Nchw : TensorLayout.Nhwc,
            Augmentations = [new RandomResizedCrop(), new RandomHorizontalFlip(), user, new ColorJitter(0.1)],
        };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);

        Assert.HasCount(3, recorder.Seen);
        foreach ((Vec3b pixel, ColorMode order) in recorder.Seen.Values)
        {
            Assert.AreEqual(ColorMode.Rgb, order, "the context's channel order");
            Assert.AreEqual(new Vec3b(255, 0, 0), pixel, "the pixel the user's transform saw");
        }

        AssertRedInTensor(batches.Single(), nchwFast);
    }

    [TestMethod]
    public async Task Run_UserAugmentationDeclaringAnyOrder_SeesTheOrderItsContextNames()
    {
        using var data = new TempDataset();
        using var red = new Mat(12, 16, MatType.CV_8UC3, new Scalar(0, 0, 255));
        data.Write("red", "r.png", red);
        var recorder = new ChannelRecorder(declared: true);
        var options = new PipelineOptions { Width = 16, Height = 12, BatchSize = 1, Augmentations = [new RandomHorizontalFlip(), recorder] };
        var (batches, _) = await PipelineRunner.RunAsync(options, data.Root);

        (Vec3b pixel, ColorMode order) = recorder.Seen.Values.Single();
        Assert.AreEqual(order == ColorMode.Rgb ? new Vec3b(255, 0, 0) : new Vec3b(0, 0, 255), pixel, $"context says {order}");
        AssertRedInTensor(batches.Single(), nchw: true);
    }

    /// <summary>The tensor holds red in the red channel (the first, as the pipeline is RGB) and nothing in the others.</summary>
    private static void AssertRedInTensor(SeenBatch batch, bool nchw)
    {
        int area = 16 * 12;
        for (int row = 0; row < batch.Labels.Length; row++)
        {
            for (int i = 0; i < area; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    float value = batch.Data[row * area * 3 + (nchw ? c * area + i : i * 3 + c)];
                    if (c == 0)
                    {
                        Assert.IsGreaterThan(0.8f, value, $"row {row} pixel {i}: red (brightness jitter of 0.1 at most)");
                    }
                    else
                    {
                        Assert.AreEqual(0f, value, $"row {row} pixel {i} channel {c}");
                    }
                }
            }
        }
    }

    /// <summary>Records the first pixel and the context's channel order of every image it is handed.</summary>
    private sealed class ChannelRecorder(bool declared = false) : IAugmentation
    {
        public ConcurrentDictionary<(int Epoch, int Index), (Vec3b Pixel, ColorMode Order)> Seen { get; } = [];

        public bool HandlesAnyChannelOrder => declared;

        public Mat Apply(Mat image, AugmentationContext context)
        {
            Seen[(context.Epoch, context.SampleIndex)] = (image.At<Vec3b>(0, 0), context.ColorMode);
            return image;
        }
    }
}
