namespace Dataflow.Samples.Training;

/// <summary>
/// Box metrics over a set of images: mAP@0.5 (Pascal VOC's all-point interpolated average precision at IoU 0.5, the mean
/// over the classes that have ground truth) and precision, recall and F1 at IoU 0.5 for the detections of score at least
/// <see cref="OperatingScore"/>.
/// </summary>
/// <remarks>A detection matches the best-overlapping ground-truth box of its class not yet matched, when their IoU is at
/// least 0.5; detections are taken best score first (per class for AP, over all classes for precision and recall).</remarks>
public sealed class BoxMetrics
{
    /// <summary>The IoU a detection needs with its ground truth to count.</summary>
    public const float MatchIou = 0.5f;

    /// <summary>The score from which detections count for precision, recall and F1.</summary>
    public const float OperatingScore = 0.5f;

    private readonly List<(int Image, Detection Detection)> _detections = [];
    private readonly List<(float[] Boxes, int[] Classes)> _truth = [];

    /// <summary>Images added.</summary>
    public int Images => _truth.Count;

    /// <summary>Ground-truth boxes added.</summary>
    public int TruthBoxes => _truth.Sum(t => t.Classes.Length);

    /// <summary>Adds one image: its detections and its ground truth (xyxy, in the same pixels).</summary>
    public void Add(IReadOnlyList<Detection> detections, float[] truthBoxes, int[] truthClasses)
    {
        ArgumentNullException.ThrowIfNull(detections);
        int image = _truth.Count;
        _truth.Add((truthBoxes, truthClasses));
        foreach (Detection d in detections)
        {
            _detections.Add((image, d));
        }
    }

    /// <summary>mAP@0.5 over the classes with ground truth (0 when there is none).</summary>
    public double MeanAveragePrecision()
    {
        var classes = _truth.SelectMany(t => t.Classes).Distinct().Order().ToArray();
        return classes.Length == 0 ? 0 : classes.Average(AveragePrecision);
    }

    /// <summary>Precision, recall and F1 of the detections of score at least <see cref="OperatingScore"/>.</summary>
    public (double Precision, double Recall, double F1) AtOperatingScore()
    {
        var kept = _detections.Where(d => d.Detection.Score >= OperatingScore).ToList();
        int truePositives = Match(kept).Count(m => m);
        double precision = kept.Count == 0 ? 0 : (double)truePositives / kept.Count;
        double recall = TruthBoxes == 0 ? 0 : (double)truePositives / TruthBoxes;
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
    }

    /// <summary>The area under class <paramref name="c"/>'s precision–recall curve, precision made monotone (VOC 2010 on).</summary>
    public double AveragePrecision(int c)
    {
        int positives = _truth.Sum(t => t.Classes.Count(k => k == c));
        var mine = _detections.Where(d => d.Detection.Class == c).ToList();
        bool[] matched = Match(mine);
        int order = 0, tp = 0;
        var recall = new List<double> { 0 };
        var precision = new List<double> { 1 };
        foreach (bool hit in matched)
        {
            order++;
            tp += hit ? 1 : 0;
            recall.Add(positives == 0 ? 0 : (double)tp / positives);
            precision.Add((double)tp / order);
        }

        for (int i = precision.Count - 2; i >= 0; i--)
        {
            precision[i] = Math.Max(precision[i], precision[i + 1]);
        }

        double ap = 0;
        for (int i = 1; i < recall.Count; i++)
        {
            ap += (recall[i] - recall[i - 1]) * precision[i];
        }

        return ap;
    }

    /// <summary>Sorts <paramref name="detections"/> best first and says which match a ground-truth box.</summary>
    private bool[] Match(List<(int Image, Detection Detection)> detections)
    {
        detections.Sort((a, b) => b.Detection.Score.CompareTo(a.Detection.Score));
        var used = _truth.Select(t => new bool[t.Classes.Length]).ToArray();
        var result = new bool[detections.Count];
        for (int i = 0; i < detections.Count; i++)
        {
            (int image, Detection d) = detections[i];
            (float[] boxes, int[] classes) = _truth[image];
            int best = -1;
            float bestIou = MatchIou;
            for (int b = 0; b < classes.Length; b++)
            {
                if (classes[b] != d.Class || used[image][b])
                {
                    continue;
                }

                float iou = Iou(d, new Detection(boxes[4 * b], boxes[4 * b + 1], boxes[4 * b + 2], boxes[4 * b + 3], classes[b], 1));
                if (iou >= bestIou)
                {
                    (best, bestIou) = (b, iou);
                }
            }

            if (best >= 0)
            {
                used[image][best] = true;
                result[i] = true;
            }
        }

        return result;
    }

    /// <summary>Intersection over union of two xyxy boxes.</summary>
    public static float Iou(Detection a, Detection b)
    {
        float w = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1), h = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (w <= 0 || h <= 0)
        {
            return 0;
        }

        float inter = w * h, union = (a.X2 - a.X1) * (a.Y2 - a.Y1) + (b.X2 - b.X1) * (b.Y2 - b.Y1) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
