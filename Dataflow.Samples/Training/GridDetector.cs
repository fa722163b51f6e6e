using System.Numerics.Tensors;
using System.Text;

namespace Dataflow.Samples.Training;

/// <summary>
/// A small grid detector written with <see cref="TensorPrimitives"/>: the image is cut into cells of <see cref="CellSize"/>
/// pixels; for each cell one shared head (one hidden ReLU layer over the cell's pixels and its eight neighbours', a
/// 3×3-cell patch, zero outside the image) gives an objectness logit, a box (centre offset in the cell, width and height
/// as fractions of the patch) and class logits. A box is the object whose centre falls in the cell (the largest, when
/// several do).
/// </summary>
/// <remarks>Loss per image: binary cross-entropy of objectness over every cell, and for the cells that hold an object
/// squared error of the four box numbers (×<see cref="BoxWeight"/>) and softmax cross-entropy of the class. Adam (AdamW's
/// decoupled weight decay) over the batch's mean. Predictions: score = objectness × class probability, then class-agnostic non-maximum
/// suppression.</remarks>
public sealed class GridDetector
{
    /// <summary>Cell side in tensor pixels.</summary>
    public const int CellSize = 8;

    /// <summary>The weight of the box error beside the two cross-entropies.</summary>
    public const float BoxWeight = 5f;

    private const int Patch = 3 * CellSize;
    private const string Magic = "DFGRIDDET1";
    private readonly int _channels, _width, _height, _columns, _rows, _inputs, _hidden, _outputs;
    private readonly float[] _w1, _b1, _w2, _b2;
    private readonly float[] _g1, _gb1, _g2, _gb2;
    private readonly float[] _v1, _vb1, _v2, _vb2, _s1, _sb1, _s2, _sb2; // Adam's first and second moments
    private int _steps;
    private readonly float[] _x, _z, _o, _go, _gz;

    /// <summary>Creates a detector with seeded random weights.</summary>
    /// <param name="channels">Image channels.</param>
    /// <param name="width">Image width, a multiple of <see cref="CellSize"/>.</param>
    /// <param name="height">Image height, a multiple of <see cref="CellSize"/>.</param>
    /// <param name="classes">Object classes.</param>
    /// <param name="hidden">Hidden units of the head.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public GridDetector(int channels, int width, int height, int classes, int hidden, long seed)
    {
        if (width % CellSize != 0 || height % CellSize != 0 || width < CellSize || height < CellSize)
        {
            throw new ArgumentException($"The detector's image must be whole cells of {CellSize} pixels, was {width}x{height}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        (_channels, _width, _height, Classes, _hidden) = (channels, width, height, classes, hidden);
        (_columns, _rows) = (width / CellSize, height / CellSize);
        _inputs = channels * Patch * Patch;
        _outputs = 5 + classes;
        var random = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        _w1 = Initial(random, _hidden * _inputs, _inputs);
        _w2 = Initial(random, _outputs * _hidden, _hidden);
        _b1 = new float[_hidden];
        _b2 = new float[_outputs];
        _b2[0] = -2f; // most cells hold no object: start near their rate
        (_g1, _gb1, _g2, _gb2) = (new float[_w1.Length], new float[_hidden], new float[_w2.Length], new float[_outputs]);
        (_v1, _vb1, _v2, _vb2) = (new float[_w1.Length], new float[_hidden], new float[_w2.Length], new float[_outputs]);
        (_s1, _sb1, _s2, _sb2) = (new float[_w1.Length], new float[_hidden], new float[_w2.Length], new float[_outputs]);
        _x = new float[_inputs];
        _z = new float[_hidden];
        _o = new float[_outputs];
        _go = new float[_outputs];
        _gz = new float[_hidden];
    }

    /// <summary>Object classes.</summary>
    public int Classes { get; }

    /// <summary>Hidden units of the head.</summary>
    public int Hidden => _hidden;

    /// <summary>What the file the detector was loaded from says beside the weights (how its inputs were made, its class names); empty for a new one.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// Writes the detector (shape, hidden units, weights, then <paramref name="metadata"/>) to <paramref name="stream"/>;
    /// <see cref="Load"/> reads it back exactly.
    /// </summary>
    public void Save(Stream stream, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        foreach (int value in (ReadOnlySpan<int>)[_channels, _width, _height, Classes, _hidden])
        {
            writer.Write(value);
        }

        foreach (float[] weights in new[] { _w1, _b1, _w2, _b2 })
        {
            foreach (float w in weights)
            {
                writer.Write(w);
            }
        }

        writer.Write(metadata?.Count ?? 0);
        foreach ((string key, string value) in metadata ?? new Dictionary<string, string>())
        {
            writer.Write(key);
            writer.Write(value);
        }
    }

    /// <summary>Reads a detector written by <see cref="Save"/> (its optimizer state starts at zero).</summary>
    /// <exception cref="InvalidDataException">The stream is not a detector file, or is cut short.</exception>
    public static GridDetector Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadString() != Magic)
            {
                throw new InvalidDataException("not a detector file written by train-detect --save (wrong header)");
            }

            int channels = reader.ReadInt32(), width = reader.ReadInt32(), height = reader.ReadInt32(), classes = reader.ReadInt32(), hidden = reader.ReadInt32();
            if (channels is < 1 or > 4 || width is < 1 or > 4096 || height is < 1 or > 4096 || classes is < 1 or > 100_000 || hidden is < 1 or > 4096)
            {
                throw new InvalidDataException($"implausible shape: {channels} channels, {width}x{height}, {classes} classes, {hidden} hidden");
            }

            var model = new GridDetector(channels, width, height, classes, hidden, seed: 0);
            foreach (float[] weights in new[] { model._w1, model._b1, model._w2, model._b2 })
            {
                for (int i = 0; i < weights.Length; i++)
                {
                    weights[i] = reader.ReadSingle();
                }
            }

            int entries = reader.ReadInt32();
            if (entries is < 0 or > 1000)
            {
                throw new InvalidDataException($"implausible metadata count {entries}");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < entries; i++)
            {
                metadata[reader.ReadString()] = reader.ReadString();
            }

            model.Metadata = metadata;
            if (stream.CanSeek && stream.Position != stream.Length)
            {
                throw new InvalidDataException($"{stream.Length - stream.Position} bytes past the weights");
            }

            return model;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the detector file is cut short", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>The image shape the detector takes, [C, H, W].</summary>
    public int[] InputShape => [_channels, _height, _width];

    /// <summary>One Adam step over a batch; returns the batch's summed loss.</summary>
    /// <param name="images">[N, C, H, W] pixels.</param>
    /// <param name="boxes">Per row its boxes as xyxy tensor pixels.</param>
    /// <param name="classes">Per row its boxes' classes.</param>
    /// <param name="learningRate">Step size.</param>
    /// <param name="momentum">Adam's β1.</param>
    /// <param name="weightDecay">L2 penalty on the weights.</param>
    public double TrainStep(ReadOnlySpan<float> images, IReadOnlyList<float[]> boxes, IReadOnlyList<int[]> classes, float learningRate, float momentum, float weightDecay)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(classes);
        Array.Clear(_g1);
        Array.Clear(_gb1);
        Array.Clear(_g2);
        Array.Clear(_gb2);
        int n = boxes.Count, plane = _channels * _width * _height;
        double loss = 0;
        var owner = new int[_rows * _columns];
        Span<float> truth = stackalloc float[4];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> image = images.Slice(r * plane, plane);
            Assign(boxes[r], owner);
            for (int cell = 0; cell < owner.Length; cell++)
            {
                Forward(image, cell);
                int b = owner[cell];
                float p = Sigmoid(_o[0]);
                float y = b >= 0 ? 1f : 0f;
                loss -= y * MathF.Log(Math.Max(p, 1e-7f)) + (1 - y) * MathF.Log(Math.Max(1 - p, 1e-7f));
                Array.Clear(_go);
                _go[0] = p - y;
                if (b >= 0)
                {
                    Encode(boxes[r].AsSpan(4 * b, 4), cell, truth);
                    for (int k = 0; k < 4; k++)
                    {
                        float d = _o[1 + k] - truth[k];
                        loss += BoxWeight * d * d;
                        _go[1 + k] = 2 * BoxWeight * d;
                    }

                    Span<float> logits = _o.AsSpan(5, Classes);
                    Span<float> gradient = _go.AsSpan(5, Classes);
                    TensorPrimitives.SoftMax(logits, gradient);
                    int c = classes[r][b];
                    loss -= MathF.Log(Math.Max(gradient[c], 1e-7f));
                    gradient[c] -= 1f;
                }

                Backward();
            }
        }

        float scale = 1f / Math.Max(1, n);
        _steps++;
        Step(_w1, _g1, _v1, _s1, scale, learningRate, momentum, weightDecay, _steps);
        Step(_b1, _gb1, _vb1, _sb1, scale, learningRate, momentum, 0, _steps);
        Step(_w2, _g2, _v2, _s2, scale, learningRate, momentum, weightDecay, _steps);
        Step(_b2, _gb2, _vb2, _sb2, scale, learningRate, momentum, 0, _steps);
        return loss;
    }

    /// <summary>The detections of one image, best first, after non-maximum suppression.</summary>
    /// <param name="image">[C, H, W] pixels.</param>
    /// <param name="minScore">The least score kept.</param>
    /// <param name="nmsIou">Boxes that overlap a better one by more than this are suppressed.</param>
    public List<Detection> Predict(ReadOnlySpan<float> image, float minScore = 0.05f, float nmsIou = 0.4f)
    {
        var found = new List<Detection>();
        Span<float> probabilities = stackalloc float[Classes];
        Span<float> box = stackalloc float[4];
        for (int cell = 0; cell < _rows * _columns; cell++)
        {
            Forward(image, cell);
            TensorPrimitives.SoftMax(_o.AsSpan(5, Classes), probabilities);
            int c = TensorPrimitives.IndexOfMax<float>(probabilities);
            float score = Sigmoid(_o[0]) * probabilities[c];
            if (score >= minScore)
            {
                Decode(_o.AsSpan(1, 4), cell, box);
                found.Add(new Detection(box[0], box[1], box[2], box[3], c, score));
            }
        }

        found.Sort((a, b) => b.Score.CompareTo(a.Score));
        var kept = new List<Detection>();
        foreach (Detection d in found)
        {
            if (!kept.Exists(k => BoxMetrics.Iou(k, d) > nmsIou))
            {
                kept.Add(d);
            }
        }

        return kept;
    }

    /// <summary>Each cell's object: the index of the largest box whose centre is in it, or −1.</summary>
    private void Assign(float[] boxes, int[] owner)
    {
        Array.Fill(owner, -1);
        var area = new float[owner.Length];
        for (int b = 0; b < boxes.Length / 4; b++)
        {
            float cx = (boxes[4 * b] + boxes[4 * b + 2]) / 2, cy = (boxes[4 * b + 1] + boxes[4 * b + 3]) / 2;
            int column = Math.Clamp((int)(cx / CellSize), 0, _columns - 1), row = Math.Clamp((int)(cy / CellSize), 0, _rows - 1);
            float a = (boxes[4 * b + 2] - boxes[4 * b]) * (boxes[4 * b + 3] - boxes[4 * b + 1]);
            int cell = row * _columns + column;
            if (owner[cell] < 0 || a > area[cell])
            {
                (owner[cell], area[cell]) = (b, a);
            }
        }
    }

    private void Encode(ReadOnlySpan<float> xyxy, int cell, Span<float> truth)
    {
        (int row, int column) = Math.DivRem(cell, _columns);
        truth[0] = (xyxy[0] + xyxy[2]) / 2 / CellSize - column;
        truth[1] = (xyxy[1] + xyxy[3]) / 2 / CellSize - row;
        truth[2] = (xyxy[2] - xyxy[0]) / Patch;
        truth[3] = (xyxy[3] - xyxy[1]) / Patch;
    }

    private void Decode(ReadOnlySpan<float> output, int cell, Span<float> xyxy)
    {
        (int row, int column) = Math.DivRem(cell, _columns);
        float cx = (column + output[0]) * CellSize, cy = (row + output[1]) * CellSize;
        float w = Math.Max(0, output[2]) * Patch, h = Math.Max(0, output[3]) * Patch;
        xyxy[0] = Math.Clamp(cx - w / 2, 0, _width);
        xyxy[1] = Math.Clamp(cy - h / 2, 0, _height);
        xyxy[2] = Math.Clamp(cx + w / 2, 0, _width);
        xyxy[3] = Math.Clamp(cy + h / 2, 0, _height);
    }

    /// <summary>Fills the patch of <paramref name="cell"/> and runs the head into <see cref="_o"/>.</summary>
    private void Forward(ReadOnlySpan<float> image, int cell)
    {
        (int row, int column) = Math.DivRem(cell, _columns);
        int top = (row - 1) * CellSize, left = (column - 1) * CellSize;
        Array.Clear(_x);
        for (int c = 0; c < _channels; c++)
        {
            for (int y = 0; y < Patch; y++)
            {
                int sy = top + y;
                if (sy < 0 || sy >= _height)
                {
                    continue;
                }

                int x0 = Math.Max(0, -left), x1 = Math.Min(Patch, _width - left);
                image.Slice((c * _height + sy) * _width + left + x0, x1 - x0).CopyTo(_x.AsSpan((c * Patch + y) * Patch + x0));
            }
        }

        for (int j = 0; j < _hidden; j++)
        {
            _z[j] = Math.Max(0, TensorPrimitives.Dot(_w1.AsSpan(j * _inputs, _inputs), _x) + _b1[j]);
        }

        for (int k = 0; k < _outputs; k++)
        {
            _o[k] = TensorPrimitives.Dot(_w2.AsSpan(k * _hidden, _hidden), _z) + _b2[k];
        }
    }

    /// <summary>Adds the gradients of <see cref="_go"/> (for the last <see cref="Forward"/>) to the accumulators.</summary>
    private void Backward()
    {
        Array.Clear(_gz);
        for (int k = 0; k < _outputs; k++)
        {
            float g = _go[k];
            if (g == 0)
            {
                continue;
            }

            _gb2[k] += g;
            TensorPrimitives.MultiplyAdd(_z, g, _g2.AsSpan(k * _hidden, _hidden), _g2.AsSpan(k * _hidden, _hidden));
            TensorPrimitives.MultiplyAdd(_w2.AsSpan(k * _hidden, _hidden), g, _gz, _gz);
        }

        for (int j = 0; j < _hidden; j++)
        {
            float g = _z[j] > 0 ? _gz[j] : 0;
            if (g == 0)
            {
                continue;
            }

            _gb1[j] += g;
            TensorPrimitives.MultiplyAdd(_x, g, _g1.AsSpan(j * _inputs, _inputs), _g1.AsSpan(j * _inputs, _inputs));
        }
    }

    /// <summary>One Adam step (β1 = <paramref name="momentum"/>, β2 = 0.999, bias-corrected) with decoupled weight decay (AdamW).</summary>
    private static void Step(float[] weights, float[] gradient, float[] first, float[] second, float scale, float learningRate, float momentum, float weightDecay, int step)
    {
        const float Beta2 = 0.999f, Epsilon = 1e-8f;
        float c1 = 1 - MathF.Pow(momentum, step), c2 = 1 - MathF.Pow(Beta2, step);
        for (int i = 0; i < weights.Length; i++)
        {
            float g = gradient[i] * scale;
            first[i] = momentum * first[i] + (1 - momentum) * g;
            second[i] = Beta2 * second[i] + (1 - Beta2) * g * g;
            float m = c1 > 0 ? first[i] / c1 : first[i];
            weights[i] -= learningRate * (m / (MathF.Sqrt(second[i] / c2) + Epsilon) + weightDecay * weights[i]);
        }
    }

    private static float[] Initial(Random random, int count, int fanIn)
    {
        var weights = new float[count];
        float std = MathF.Sqrt(2f / fanIn);
        for (int i = 0; i < count; i++)
        {
            // Box–Muller: a normal draw from two uniform ones.
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            weights[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        return weights;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <inheritdoc />
    public override string ToString() => $"grid detector ({_columns}x{_rows} cells of {CellSize} px, {_hidden} hidden over 3x3-cell patches, {Classes} classes)";
}

/// <summary>A predicted box, xyxy, with its class and score.</summary>
public readonly record struct Detection(float X1, float Y1, float X2, float Y2, int Class, float Score);
