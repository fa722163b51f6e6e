using System.Numerics.Tensors;
using System.Text;
using Dataflow.Pipeline;

namespace Dataflow.Samples.Training;

/// <summary>The classifier's shape.</summary>
public enum ModelKind
{
    /// <summary>One dense layer and a softmax (multinomial logistic regression).</summary>
    Softmax,

    /// <summary>A hidden dense layer with ReLU, then a dense layer and a softmax.</summary>
    Mlp,
}

/// <summary>How the weights are updated: SGD with momentum and L2 weight decay.</summary>
/// <param name="LearningRate">Step size (the peak, with <paramref name="Cosine"/>).</param>
/// <param name="Momentum">Velocity decay (0 for plain SGD).</param>
/// <param name="WeightDecay">L2 penalty on the weights (not the biases).</param>
/// <param name="Cosine">Decay the step size along a half cosine from <paramref name="LearningRate"/> to 0 over the run.</param>
/// <param name="Dropout">Probability of zeroing each hidden unit during a training step (inverted dropout; MLP only).</param>
public sealed record SgdSettings(float LearningRate = 0.1f, float Momentum = 0.9f, float WeightDecay = 5e-4f, bool Cosine = true, float Dropout = 0.2f)
{
    /// <summary>The settings for step <paramref name="step"/> of <paramref name="totalSteps"/> (the schedule applied).</summary>
    public SgdSettings At(long step, long totalSteps)
    {
        if (!Cosine || totalSteps <= 0)
        {
            return this;
        }

        double progress = Math.Clamp((double)step / totalSteps, 0, 1);
        return this with { LearningRate = (float)(LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress))), Cosine = false };
    }
}

/// <summary>Loss and accuracy summed over some rows.</summary>
/// <param name="Loss">Summed cross-entropy.</param>
/// <param name="Correct">Rows whose arg-max is the label.</param>
/// <param name="Rows">Rows seen.</param>
public readonly record struct Score(double Loss, int Correct, int Rows)
{
    /// <summary>Mean loss (0 with no rows).</summary>
    public double MeanLoss => Rows == 0 ? 0 : Loss / Rows;

    /// <summary>Accuracy in [0, 1] (0 with no rows).</summary>
    public double Accuracy => Rows == 0 ? 0 : (double)Correct / Rows;

    /// <summary>The sum of two scores.</summary>
    public static Score operator +(Score a, Score b) => new(a.Loss + b.Loss, a.Correct + b.Correct, a.Rows + b.Rows);
}

/// <summary>
/// A small dense classifier over flattened image tensors, written with <see cref="TensorPrimitives"/>:
/// softmax regression, or a one-hidden-layer ReLU network, trained by mini-batch SGD with momentum on
/// the cross-entropy loss. Single-threaded and deterministic: the same batches give the same weights.
/// </summary>
public sealed class MlpClassifier
{
    private const string Magic = "DFMODEL1";

    private readonly int _inputs;
    private readonly int _hidden;
    private readonly int _classes;
    private readonly int _outInputs;

    // Row-major weights: W1 is [hidden, inputs], W2 is [classes, hidden or inputs].
    private readonly float[] _w1, _b1, _w2, _b2;
    private readonly float[] _gw1, _gb1, _gw2, _gb2;
    private readonly float[] _vw1, _vb1, _vw2, _vb2;

    // Per-row scratch.
    private readonly float[] _z1, _h, _z2, _p, _dh, _mask;
    private readonly SampleRandom _dropoutRandom = new(0);
    private long _steps;

    /// <summary>Creates a model with seeded He-initialised weights.</summary>
    /// <param name="kind">Softmax regression or MLP.</param>
    /// <param name="inputShape">One sample's shape, [C, H, W].</param>
    /// <param name="classNames">Class names, indexed by label.</param>
    /// <param name="hidden">Hidden units (MLP only).</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public MlpClassifier(ModelKind kind, IReadOnlyList<int> inputShape, IReadOnlyList<string> classNames, int hidden, long seed)
        : this(kind, inputShape, classNames, hidden)
    {
        var random = new SampleRandom(seed, 0x3E1A7);
        Initialise(_w1, _inputs, random);
        Initialise(_w2, _outInputs, random);
    }

    private MlpClassifier(ModelKind kind, IReadOnlyList<int> inputShape, IReadOnlyList<string> classNames, int hidden)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(classNames);
        if (inputShape.Count != 3 || inputShape.Any(d => d < 1))
        {
            throw new ArgumentException($"Parameter \"inputShape\" must be [C, H, W] with every dimension at least 1, was [{string.Join(", ", inputShape)}].", nameof(inputShape));
        }

        if (classNames.Count < 2)
        {
            throw new ArgumentException($"Parameter \"classNames\" must name at least 2 classes, had {classNames.Count}.", nameof(classNames));
        }

        if (kind == ModelKind.Mlp && hidden is < 1 or > 65_536)
        {
            throw new ArgumentOutOfRangeException(nameof(hidden), hidden, $"Parameter \"hidden\" must be between 1 and 65536, was {hidden}.");
        }

        Kind = kind;
        InputShape = [.. inputShape];
        ClassNames = [.. classNames];
        _inputs = inputShape[0] * inputShape[1] * inputShape[2];
        _hidden = kind == ModelKind.Mlp ? hidden : 0;
        _classes = classNames.Count;
        _outInputs = kind == ModelKind.Mlp ? _hidden : _inputs;
        _w1 = new float[_hidden * _inputs];
        _b1 = new float[_hidden];
        _w2 = new float[_classes * _outInputs];
        _b2 = new float[_classes];
        (_gw1, _gb1, _gw2, _gb2) = (new float[_w1.Length], new float[_b1.Length], new float[_w2.Length], new float[_b2.Length]);
        (_vw1, _vb1, _vw2, _vb2) = (new float[_w1.Length], new float[_b1.Length], new float[_w2.Length], new float[_b2.Length]);
        (_z1, _h, _dh, _mask) = (new float[_hidden], new float[_hidden], new float[_hidden], new float[_hidden]);
        (_z2, _p) = (new float[_classes], new float[_classes]);
    }

    /// <summary>Softmax regression or MLP.</summary>
    public ModelKind Kind { get; }

    /// <summary>One sample's shape, [C, H, W].</summary>
    public int[] InputShape { get; }

    /// <summary>Class names, indexed by label.</summary>
    public string[] ClassNames { get; }

    /// <summary>Hidden units (0 for softmax regression).</summary>
    public int Hidden => _hidden;

    /// <summary>Trainable numbers.</summary>
    public int ParameterCount => _w1.Length + _b1.Length + _w2.Length + _b2.Length;

    /// <summary>One SGD step on a batch of <paramref name="labels"/>.Length rows; returns the batch's score before the step.</summary>
    /// <param name="data">Row-major rows of <see cref="InputShape"/> floats.</param>
    /// <param name="labels">Label per row.</param>
    /// <param name="sgd">Step settings.</param>
    public Score TrainStep(ReadOnlySpan<float> data, ReadOnlySpan<int> labels, SgdSettings sgd) => TrainStep(data, labels, default, sgd);

    /// <summary>
    /// One SGD step towards soft <paramref name="targets"/> (one probability row per image, as MixUp and CutMix leave in
    /// <c>Batch.OneHot</c>): the loss is the cross-entropy against the target row; accuracy still counts each row's own label.
    /// </summary>
    /// <param name="data">Row-major rows of <see cref="InputShape"/> floats.</param>
    /// <param name="labels">Label per row.</param>
    /// <param name="targets">[rows, classes] target probabilities; empty for the one-hot rows of <paramref name="labels"/>.</param>
    /// <param name="sgd">Step settings.</param>
    public Score TrainStep(ReadOnlySpan<float> data, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets, SgdSettings sgd)
    {
        ArgumentNullException.ThrowIfNull(sgd);
        CheckBatch(data, labels);
        if (!targets.IsEmpty && targets.Length != labels.Length * _classes)
        {
            throw new ArgumentException($"Targets of {labels.Length} rows must hold {labels.Length * _classes} floats, had {targets.Length}.", nameof(targets));
        }

        Array.Clear(_gw1);
        Array.Clear(_gb1);
        Array.Clear(_gw2);
        Array.Clear(_gb2);
        float inverseRows = 1f / labels.Length;
        var score = default(Score);
        // Dropout masks come from (step, row), so the same batches give the same weights.
        _dropoutRandom.Reset(_steps++, 0xD0);
        float dropout = _hidden > 0 ? sgd.Dropout : 0f;
        for (int r = 0; r < labels.Length; r++)
        {
            ReadOnlySpan<float> x = data.Slice(r * _inputs, _inputs);
            ReadOnlySpan<float> target = targets.IsEmpty ? default : targets.Slice(r * _classes, _classes);
            score += Forward(x, labels[r], dropout, target);
            Backward(x, labels[r], target, inverseRows);
        }

        Update(_w1, _gw1, _vw1, sgd, decay: true);
        Update(_b1, _gb1, _vb1, sgd, decay: false);
        Update(_w2, _gw2, _vw2, sgd, decay: true);
        Update(_b2, _gb2, _vb2, sgd, decay: false);
        return score;
    }

    /// <summary>Scores a batch without changing the weights.</summary>
    public Score Evaluate(ReadOnlySpan<float> data, ReadOnlySpan<int> labels)
    {
        CheckBatch(data, labels);
        var score = default(Score);
        for (int r = 0; r < labels.Length; r++)
        {
            score += Forward(data.Slice(r * _inputs, _inputs), labels[r]);
        }

        return score;
    }

    /// <summary>The predicted class of one row.</summary>
    public int Predict(ReadOnlySpan<float> row)
    {
        if (row.Length != _inputs)
        {
            throw new ArgumentException($"A row must hold {_inputs} floats, had {row.Length}.", nameof(row));
        }

        Forward(row, label: -1);
        return TensorPrimitives.IndexOfMax<float>(_p);
    }

    /// <summary>The dense layers from input to output (copies of the weights), for export: a softmax follows the last.</summary>
    public IReadOnlyList<DenseLayer> Layers() => _hidden > 0
        ? [new DenseLayer(_inputs, _hidden, [.. _w1], [.. _b1], Relu: true), new DenseLayer(_hidden, _classes, [.. _w2], [.. _b2], Relu: false)]
        : [new DenseLayer(_inputs, _classes, [.. _w2], [.. _b2], Relu: false)];

    /// <summary>Writes the model (shape, class names, weights) to <paramref name="stream"/>.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write((int)Kind);
        writer.Write(_hidden);
        foreach (int d in InputShape)
        {
            writer.Write(d);
        }

        writer.Write(ClassNames.Length);
        foreach (string name in ClassNames)
        {
            writer.Write(name);
        }

        foreach (float[] weights in new[] { _w1, _b1, _w2, _b2 })
        {
            foreach (float w in weights)
            {
                writer.Write(w);
            }
        }
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The stream is not a model file, or is cut short.</exception>
    public static MlpClassifier Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadString() != Magic)
            {
                throw new InvalidDataException("not a model file written by this program (wrong header)");
            }

            var kind = (ModelKind)reader.ReadInt32();
            if (!Enum.IsDefined(kind))
            {
                throw new InvalidDataException($"unknown model kind {(int)kind}");
            }

            int hidden = reader.ReadInt32();
            int[] shape = [reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32()];
            int classes = reader.ReadInt32();
            if (classes is < 2 or > 1_000_000)
            {
                throw new InvalidDataException($"implausible class count {classes}");
            }

            var names = new string[classes];
            for (int i = 0; i < classes; i++)
            {
                names[i] = reader.ReadString();
            }

            var model = new MlpClassifier(kind, shape, names, Math.Max(1, hidden));
            foreach (float[] weights in new[] { model._w1, model._b1, model._w2, model._b2 })
            {
                for (int i = 0; i < weights.Length; i++)
                {
                    weights[i] = reader.ReadSingle();
                }
            }

            return model;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the model file is cut short", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>True when both models have the same shape, classes and weights, bit for bit.</summary>
    public bool HasSameWeights(MlpClassifier other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Kind == other.Kind && _hidden == other._hidden && InputShape.SequenceEqual(other.InputShape) && ClassNames.SequenceEqual(other.ClassNames)
            && _w1.AsSpan().SequenceEqual(other._w1) && _b1.AsSpan().SequenceEqual(other._b1)
            && _w2.AsSpan().SequenceEqual(other._w2) && _b2.AsSpan().SequenceEqual(other._b2);
    }

    /// <inheritdoc />
    public override string ToString() => Kind == ModelKind.Mlp
        ? $"MLP {_inputs}-{_hidden}-{_classes} (ReLU, softmax), {ParameterCount} parameters"
        : $"softmax regression {_inputs}-{_classes}, {ParameterCount} parameters";

    private Score Forward(ReadOnlySpan<float> x, int label, float dropout = 0f, ReadOnlySpan<float> target = default)
    {
        ReadOnlySpan<float> top = x;
        if (_hidden > 0)
        {
            for (int j = 0; j < _hidden; j++)
            {
                _z1[j] = TensorPrimitives.Dot(_w1.AsSpan(j * _inputs, _inputs), x) + _b1[j];
            }

            TensorPrimitives.Max(_z1, 0f, _h);
            if (dropout > 0f)
            {
                float keep = 1f - dropout;
                for (int j = 0; j < _hidden; j++)
                {
                    _mask[j] = _dropoutRandom.NextDouble() < keep ? 1f / keep : 0f;
                }

                TensorPrimitives.Multiply(_h, _mask, _h);
            }
            else
            {
                _mask.AsSpan().Fill(1f);
            }

            top = _h;
        }

        for (int k = 0; k < _classes; k++)
        {
            _z2[k] = TensorPrimitives.Dot(_w2.AsSpan(k * _outInputs, _outInputs), top) + _b2[k];
        }

        // Shift by the largest logit so exp never overflows.
        TensorPrimitives.Subtract(_z2, TensorPrimitives.Max<float>(_z2), _z2);
        TensorPrimitives.SoftMax<float>(_z2, _p);
        if (label < 0)
        {
            return default;
        }

        double loss = target.IsEmpty ? -Math.Log(Math.Max(_p[label], 1e-12f)) : SoftLoss(target);
        bool correct = TensorPrimitives.IndexOfMax<float>(_p) == label;
        return new Score(loss, correct ? 1 : 0, 1);
    }

    /// <summary>The cross-entropy of the current prediction against a target distribution.</summary>
    private double SoftLoss(ReadOnlySpan<float> target)
    {
        double loss = 0;
        for (int k = 0; k < _classes; k++)
        {
            if (target[k] > 0)
            {
                loss -= target[k] * Math.Log(Math.Max(_p[k], 1e-12f));
            }
        }

        return loss;
    }

    private void Backward(ReadOnlySpan<float> x, int label, ReadOnlySpan<float> target, float inverseRows)
    {
        // d(loss)/d(logits) = p - target (the one-hot row of the label, or the soft target), averaged over the batch.
        if (target.IsEmpty)
        {
            _p[label] -= 1f;
        }
        else
        {
            TensorPrimitives.Subtract(_p, target, _p);
        }

        TensorPrimitives.Multiply(_p, inverseRows, _p);
        TensorPrimitives.Add(_gb2, _p, _gb2);
        ReadOnlySpan<float> top = _hidden > 0 ? _h : x;
        if (_hidden > 0)
        {
            _dh.AsSpan().Clear();
        }

        for (int k = 0; k < _classes; k++)
        {
            Span<float> gradRow = _gw2.AsSpan(k * _outInputs, _outInputs);
            TensorPrimitives.MultiplyAdd(top, _p[k], gradRow, gradRow);
            if (_hidden > 0)
            {
                TensorPrimitives.MultiplyAdd(_w2.AsSpan(k * _outInputs, _outInputs), _p[k], _dh, _dh);
            }
        }

        if (_hidden == 0)
        {
            return;
        }

        for (int j = 0; j < _hidden; j++)
        {
            // ReLU passes the gradient only where the unit was active.
            float d = _z1[j] > 0 ? _dh[j] * _mask[j] : 0f;
            if (d != 0f)
            {
                Span<float> gradRow = _gw1.AsSpan(j * _inputs, _inputs);
                TensorPrimitives.MultiplyAdd(x, d, gradRow, gradRow);
                _gb1[j] += d;
            }
        }
    }

    private static void Update(float[] weights, float[] gradient, float[] velocity, SgdSettings sgd, bool decay)
    {
        if (decay && sgd.WeightDecay != 0f)
        {
            TensorPrimitives.MultiplyAdd(weights, sgd.WeightDecay, gradient, gradient);
        }

        // v = momentum·v − lr·g;  w = w + v
        TensorPrimitives.Multiply(velocity, sgd.Momentum, velocity);
        TensorPrimitives.MultiplyAdd(gradient, -sgd.LearningRate, velocity, velocity);
        TensorPrimitives.Add(weights, velocity, weights);
    }

    private static void Initialise(float[] weights, int fanIn, SampleRandom random)
    {
        // He initialisation: normal with std sqrt(2 / fan-in), drawn by Box–Muller.
        double std = Math.Sqrt(2.0 / fanIn);
        for (int i = 0; i < weights.Length; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            weights[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    private void CheckBatch(ReadOnlySpan<float> data, ReadOnlySpan<int> labels)
    {
        if (labels.IsEmpty || data.Length != labels.Length * _inputs)
        {
            throw new ArgumentException($"A batch of {labels.Length} rows must hold {labels.Length * _inputs} floats, had {data.Length}.", nameof(data));
        }

        foreach (int label in labels)
        {
            if ((uint)label >= (uint)_classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Labels must be between 0 and {_classes - 1}, was {label}.");
            }
        }
    }
}
