using Dataflow.Pipeline.Targets;
using OpenCvSharp;

namespace Dataflow.Samples.Preview;

/// <summary>
/// Draws a batch row's targets over its tile: masks as a translucent overlay in their class's colour, boxes as outlines
/// in their class's colour captioned with the class name, keypoints as dots joined by the skeleton.
/// </summary>
/// <remarks>Drawn in that order (masks, boxes, skeleton, keypoints), without anti-aliasing so each colour is exact: a box's
/// outline is <see cref="ClassColour"/> of its class, a visible keypoint's dot <see cref="KeypointColour"/> of its index, a mask
/// pixel <see cref="MaskWeight"/> of its class's colour over the image's. Invisible keypoints (visibility 0) are not drawn.</remarks>
public static class TargetOverlay
{
    /// <summary>How much of a class's colour a mask pixel takes (the rest is the image's).</summary>
    public const double MaskWeight = 0.4;

    /// <summary>The radius of a keypoint's dot in sheet pixels.</summary>
    public const int KeypointRadius = 2;

    // BGR; distinct hues, none grey.
    private static readonly Scalar[] Classes =
    [
        new(0, 0, 255), new(0, 200, 0), new(255, 64, 0), new(0, 200, 255), new(255, 0, 200), new(200, 200, 0), new(0, 128, 255), new(128, 0, 255),
    ];

    private static readonly Scalar[] Points = [new(255, 255, 255), new(0, 255, 255), new(255, 0, 255), new(255, 255, 0)];

    /// <summary>The colour (BGR) of class <paramref name="classIndex"/>'s boxes, masks and skeletons.</summary>
    public static Scalar ClassColour(int classIndex) => Classes[(int)((uint)classIndex % Classes.Length)];

    /// <summary>The colour (BGR) of keypoint <paramref name="keypoint"/>'s dot.</summary>
    public static Scalar KeypointColour(int keypoint) => Points[(int)((uint)keypoint % Points.Length)];

    /// <summary>Row <paramref name="row"/>'s boxes as xyxy in the row's pixels, whatever <see cref="BatchTargets.BoxFormat"/>.</summary>
    public static float[] Xyxy(BatchTargets targets, int row)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var xyxy = new float[4 * targets.Counts[row]];
        targets.BoxFormat.ToXyxy(targets.RowBoxes(row), xyxy, new Size(targets.Width, targets.Height));
        return xyxy;
    }

    /// <summary>True when the targets have boxes (<see cref="BatchTargets.HasBoxes"/>: a multi-label or segmentation dataset has none).</summary>
    public static bool HasBoxes(BatchTargets targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        return targets.HasBoxes;
    }

    /// <summary>
    /// Draws row <paramref name="row"/>'s targets onto <paramref name="tile"/>, its image scaled by <paramref name="factor"/>;
    /// boxes are captioned from <paramref name="classNames"/> and keypoints joined by <paramref name="skeleton"/>.
    /// </summary>
    public static void Draw(Mat tile, BatchTargets targets, int row, double factor, IReadOnlyList<string> classNames, IReadOnlyList<(int From, int To)> skeleton)
    {
        ArgumentNullException.ThrowIfNull(tile);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(skeleton);
        int count = targets.Counts[row];
        bool boxes = HasBoxes(targets);
        ReadOnlySpan<int> classes = boxes ? targets.RowClasses(row) : [];
        if (targets.Masks is not null)
        {
            byte[] labels = targets.RowMask(row).ToArray();
            // 0 is the background and 255 the usual "ignore" fill: neither is overlaid.
            foreach (byte label in labels.Distinct().Where(l => l is not 0 and not 255))
            {
                Overlay(tile, targets, labels.Select(l => l == label ? (byte)1 : (byte)0).ToArray(), ClassColour(label));
            }
        }
        else if (targets.InstanceMasks is not null)
        {
            for (int i = 0; i < count; i++)
            {
                Overlay(tile, targets, targets.RowInstanceMask(row, i).ToArray(), ClassColour(boxes ? classes[i] : 0));
            }
        }

        if (boxes)
        {
            float[] xyxy = Xyxy(targets, row);
            for (int i = 0; i < count; i++)
            {
                var from = new Point((int)Math.Round(xyxy[4 * i] * factor), (int)Math.Round(xyxy[4 * i + 1] * factor));
                var to = new Point((int)Math.Round(xyxy[4 * i + 2] * factor) - 1, (int)Math.Round(xyxy[4 * i + 3] * factor) - 1);
                Scalar colour = ClassColour(classes[i]);
                Cv2.Rectangle(tile, from, to, colour, 1, LineTypes.Link8);
                string name = classes[i] < classNames.Count ? classNames[classes[i]] : classes[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
                // Above the box where there is room, else inside its top edge.
                int baseline = from.Y >= 10 ? from.Y - 2 : from.Y + 10;
                Cv2.PutText(tile, name, new Point(from.X + 1, baseline), HersheyFonts.HersheySimplex, 0.3, colour, 1, LineTypes.Link8);
            }
        }

        if (targets.Keypoints is not null)
        {
            ReadOnlySpan<float> points = targets.RowKeypoints(row);
            int k = targets.KeypointCount;
            for (int i = 0; i < count; i++)
            {
                ReadOnlySpan<float> instance = points.Slice(3 * k * i, 3 * k);
                Scalar colour = ClassColour(boxes ? classes[i] : 0);
                foreach ((int a, int b) in skeleton)
                {
                    if (instance[3 * a + 2] > 0 && instance[3 * b + 2] > 0)
                    {
                        Cv2.Line(tile, Scaled(instance, a, factor), Scaled(instance, b, factor), colour, 1, LineTypes.Link8);
                    }
                }

                for (int j = 0; j < k; j++)
                {
                    if (instance[3 * j + 2] > 0)
                    {
                        Cv2.Circle(tile, Scaled(instance, j, factor), KeypointRadius, KeypointColour(j), -1, LineTypes.Link8);
                    }
                }
            }
        }
    }

    private static Point Scaled(ReadOnlySpan<float> instance, int j, double factor) =>
        new((int)Math.Floor(instance[3 * j] * factor), (int)Math.Floor(instance[3 * j + 1] * factor));

    private static void Overlay(Mat tile, BatchTargets targets, byte[] plane, Scalar colour)
    {
        using var mask = Mat.FromPixelData(targets.Height, targets.Width, MatType.CV_8UC1, plane);
        using var scaled = new Mat();
        Cv2.Resize(mask, scaled, tile.Size(), 0, 0, InterpolationFlags.Nearest);
        using var paint = new Mat(tile.Size(), MatType.CV_8UC3, colour);
        using var blended = new Mat();
        Cv2.AddWeighted(tile, 1 - MaskWeight, paint, MaskWeight, 0, blended);
        blended.CopyTo(tile, scaled);
    }
}
