using System.Globalization;
using System.Text;
using System.Text.Json;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Distributed;

/// <summary>
/// Where a run is in its plan, small enough to save with every checkpoint: the epoch, how far the epoch's global
/// order has been consumed, and what identifies the dataset and the options that shape the batches.
/// </summary>
/// <remarks>
/// <para>Every delivered batch carries the state to save once it is consumed (<see cref="Batching.Batch.State"/>).
/// A pipeline built with <see cref="ImagePipelineBuilder.ResumeFrom"/> continues with exactly the batches the
/// uninterrupted run would have produced next, planned rather than replayed: nothing before the position is read
/// or decoded. A state taken with one world size resumes with another: the rest of the epoch is split between the
/// new ranks, each sample exactly once, and the following epochs are those of a run of the new size.</para>
/// <para>The state is position, never history: its size does not depend on the dataset (about 500 bytes of JSON).</para>
/// </remarks>
public sealed class PipelineState
{
    private readonly Lazy<PipelineStateIdentity> _identity;

    /// <summary>The newest format this library writes and reads: 2 for a run in the shard-buffer order (its position is
    /// the ranges of the epoch that remain), 1 otherwise.</summary>
    public const int CurrentFormat = 2;

    /// <summary>Creates a state (the pipeline makes them; a test or a tool may too).</summary>
    public PipelineState(int epoch, long position, int step, int worldSize, PipelineStateIdentity identity)
        : this(epoch, position, step, worldSize, new Lazy<PipelineStateIdentity>(identity ?? throw new ArgumentNullException(nameof(identity))))
    {
    }

    /// <summary>
    /// A state whose identity is computed when first read: the planner shares one among all batches of a run, so that
    /// hashing every sample id (and loading the hash provider) is not paid before the first batch.
    /// </summary>
    internal PipelineState(int epoch, long position, int step, int worldSize, Lazy<PipelineStateIdentity> identity, Planning.RemainingSamples? remaining = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        Epoch = epoch;
        Position = position;
        Step = step;
        WorldSize = worldSize;
        _identity = identity;
        Remaining = remaining;
    }

    /// <summary>The epoch to continue, from 0.</summary>
    public int Epoch { get; }

    /// <summary>Samples of the epoch's global order consumed by all ranks together (0 at an epoch's start).</summary>
    public long Position { get; }

    /// <summary>Steps (batches per rank) made in the epoch: the index of the next batch.</summary>
    public int Step { get; }

    /// <summary>The number of processes of the run that saved the state.</summary>
    public int WorldSize { get; }

    /// <summary>
    /// In the shard-buffer order, part-way through an epoch: what remains of it (ranges of the epoch's shard stream, each
    /// with the point of the mixed order before which its samples were consumed); null at an epoch's start and in the
    /// built-in order, where the rest of the epoch is its global order from <see cref="Position"/>.
    /// </summary>
    internal Planning.RemainingSamples? Remaining { get; }

    /// <summary>The seed, the dataset and the options the position refers to.</summary>
    public PipelineStateIdentity Identity => _identity.Value;

    /// <summary>The state as UTF-8 JSON (the file format; see <see cref="Parse"/>).</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("format", Identity.ShuffleBuffer > 0 || Remaining is not null ? 2 : 1);
            json.WriteNumber("epoch", Epoch);
            json.WriteNumber("position", Position);
            json.WriteNumber("step", Step);
            json.WriteNumber("worldSize", WorldSize);
            Identity.WriteTo(json);
            Remaining?.WriteTo(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a state written by <see cref="ToBytes"/>.</summary>
    /// <param name="bytes">The saved bytes.</param>
    /// <param name="origin">What the bytes are named in messages (a file path).</param>
    /// <exception cref="InvalidDataException">The bytes are empty, truncated or not a state, come from a newer format, or lack a field; the message names <paramref name="origin"/>.</exception>
    public static PipelineState Parse(ReadOnlySpan<byte> bytes, string origin = "the pipeline state")
    {
        if (bytes.IsEmpty)
        {
            throw new InvalidDataException($"{origin} is empty: no pipeline state.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.ToArray());
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin} is not a pipeline state (truncated or damaged JSON: {e.Message}).", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out JsonElement format) || format.ValueKind != JsonValueKind.Number)
            {
                throw new InvalidDataException($"{origin} is not a pipeline state: it has no \"format\" number.");
            }

            if (!format.TryGetInt32(out int version) || version < 1)
            {
                throw new InvalidDataException($"{origin} has format {format.GetRawText()}; this library reads format {CurrentFormat}.");
            }

            if (version > CurrentFormat)
            {
                throw new InvalidDataException($"{origin} was written in format {version}, newer than this library reads ({CurrentFormat}): update the library to resume from it.");
            }

            var reader = new StateReader(root, origin);
            int epoch = reader.Int("epoch", 0);
            long position = reader.Long("position");
            int step = reader.Int("step", 0);
            int worldSize = reader.Int("worldSize", 1);
            PipelineStateIdentity identity = PipelineStateIdentity.ReadFrom(reader);
            EnsureConsistent(reader, position, step, identity);
            Planning.RemainingSamples? remaining = null;
            if (reader.Has("remaining"))
            {
                remaining = Planning.RemainingSamples.Read(root.GetProperty("remaining"))
                    ?? throw reader.Invalid("remaining", "an array of [from, to, after] whole numbers");
                if (identity.ShuffleBuffer == 0)
                {
                    throw reader.Invalid("remaining", "absent without \"shuffleBuffer\": only the shard-buffer order keeps ranges");
                }

                if (remaining.Problem(identity.Samples) is { } problem)
                {
                    throw reader.Invalid("remaining", problem);
                }
            }

            if (identity.ShuffleBuffer > 0 && position > 0 && remaining is null)
            {
                throw reader.Invalid("remaining", $"the ranges that remain: the shard-buffer order resumes part-way (\"position\" {position}) from them");
            }

            return new PipelineState(epoch, position, step, worldSize, new Lazy<PipelineStateIdentity>(identity), remaining);
        }
    }

    /// <summary>Writes the state to <paramref name="path"/> (through a temporary file, so a crash never leaves half a state).</summary>
    /// <remarks>
    /// A regular file (or a new one) is written beside itself as <c>PATH.tmp</c> and renamed over it; a failed write
    /// removes the temporary file. A character device or FIFO is written through and stays what it is; a symbolic
    /// link stays, and the file it leads to is replaced.
    /// </remarks>
    /// <exception cref="IOException">The path is a folder, a block device or a socket (the message names it), or the write failed.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes = ToBytes();
        SafeFile.Save(path, stream => stream.Write(bytes));
    }

    /// <summary>Reads a state saved with <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The path is not a regular file (a folder, a FIFO, a device: it is not
    /// opened), or the file is not a usable state; the message names it and why.</exception>
    public static PipelineState Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        Internal.FileKind kind = Internal.FileKinds.Of(full);
        if (kind == Internal.FileKind.Absent)
        {
            throw new FileNotFoundException($"The pipeline state file '{full}' does not exist.", full);
        }

        if (kind != Internal.FileKind.Regular)
        {
            // A FIFO would wait for a writer, a device never end: neither is opened.
            throw new InvalidDataException($"The pipeline state file '{full}' is {Internal.FileKinds.Describe(kind)}, not a regular file: not read.");
        }

        return Parse(File.ReadAllBytes(full), $"The pipeline state file '{full}'");
    }

    /// <summary>
    /// Checks that this state can resume a run with <paramref name="options"/>: same seed and batch-shaping options.
    /// The world size may differ (an elastic resumption).
    /// </summary>
    /// <exception cref="ArgumentException">Something differs; the message names every difference with both values.</exception>
    public void EnsureResumes(PipelineOptions options) => EnsureResumes(options, 0);

    /// <summary>As <see cref="EnsureResumes(PipelineOptions)"/>, for a run in the shard-buffer order with <paramref name="shuffleBuffer"/> (0 for the built-in order).</summary>
    internal void EnsureResumes(PipelineOptions options, int shuffleBuffer)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> differences = Identity.Differences(PipelineStateIdentity.For(options, Identity.Dataset, Identity.Samples) with { ShuffleBuffer = shuffleBuffer });
        if (differences.Count > 0)
        {
            throw new ArgumentException($"The pipeline state was saved with other options: {string.Join("; ", differences)}.", nameof(options));
        }

        if (Epoch >= options.Epochs)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The pipeline state is at epoch {Epoch} (from 0) but the run has {nameof(PipelineOptions.Epochs)} {options.Epochs}: nothing is left to run; raise Epochs to continue."), nameof(options));
        }
    }

    /// <summary>Checks that the discovered dataset is the one the state was saved over.</summary>
    /// <exception cref="InvalidDataException">It is another dataset (or another selection of it); the message says how it differs.</exception>
    public void EnsureDataset(SampleSet set, int selected)
    {
        ArgumentNullException.ThrowIfNull(set);
        string fingerprint = PipelineStateIdentity.Fingerprint(set);
        if (fingerprint != Identity.Dataset || selected != Identity.Samples)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"The pipeline state was saved over another dataset: {Identity.Samples} selected samples with fingerprint {Identity.Dataset}, this run has {selected} with fingerprint {fingerprint} ({set.Samples.Count} discovered in {set.ClassNames.Count} classes)."));
        }

        if (Position > selected)
        {
            throw new InvalidDataException($"The pipeline state's position {Position} is past the end of the epoch ({selected} samples).");
        }
    }

    /// <summary>
    /// The state to resume a multi-process run from, given the state every rank of it saved (index = rank): checks that
    /// they are one stop's states and returns rank 0's, the one to resume from.
    /// </summary>
    /// <remarks>
    /// <para>With <see cref="RemainderPolicy.Pad"/> and <see cref="RemainderPolicy.Drop"/> every rank's state is the same
    /// after each step, so any difference means the ranks stopped at different steps (or come from different runs):
    /// resuming from one of them would deliver some samples twice and others never. Under
    /// <see cref="RemainderPolicy.Uneven"/> a rank with one step fewer in an epoch may already point at the next epoch's
    /// start while rank 0 takes its last step; that difference is accepted.</para>
    /// <para>What cannot be detected here: states from one rank only (each rank resuming from its own file, not
    /// compared), and a whole set saved at one consistent step of another stop of the same run.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">No state, a different number of states than their world size, or states that disagree; the message names every rank that disagrees with rank 0.</exception>
    public static PipelineState Agreed(IReadOnlyList<PipelineState> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
        {
            throw new ArgumentException("No rank's state was given.", nameof(states));
        }

        PipelineState first = states[0];
        var problems = new List<string>();
        if (states.Count != first.WorldSize)
        {
            problems.Add($"rank 0's state was saved by a run of world size {first.WorldSize}, and {states.Count} states were given (one per rank, rank 0 first)");
        }

        for (int rank = 1; rank < states.Count; rank++)
        {
            PipelineState other = states[rank];
            if (other.WorldSize != first.WorldSize || other.Identity != first.Identity)
            {
                problems.Add($"rank {rank}'s state is from another run (world size {other.WorldSize}, seed {other.Identity.Seed}, dataset {other.Identity.Dataset}; rank 0: world size {first.WorldSize}, seed {first.Identity.Seed}, dataset {first.Identity.Dataset})");
            }
            else if (((other.Epoch, other.Position, other.Step) != (first.Epoch, first.Position, first.Step) || !Equals(other.Remaining, first.Remaining))
                && !(first.Identity.Remainder == RemainderPolicy.Uneven && other.Epoch == first.Epoch + 1 && other.Position == 0 && other.Step == 0))
            {
                problems.Add($"rank {rank} stopped at epoch {other.Epoch}, position {other.Position}, step {other.Step}{RangesOf(other)}; rank 0 at epoch {first.Epoch}, position {first.Position}, step {first.Step}{RangesOf(first)}");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"The ranks' loader states are not one stop's: {string.Join("; ", problems)}. Resume every rank from the states one stopped run saved (resuming from these would deliver some samples twice and others never).",
                nameof(states));
        }

        return first;
    }

    private static string RangesOf(PipelineState state) => state.Remaining is null ? "" : $" (remaining {state.Remaining})";

    /// <inheritdoc />
    public override string ToString() => $"epoch {Epoch}, position {Position}, step {Step}, world size {WorldSize}, seed {Identity.Seed}, dataset {Identity.Dataset}"
        + (Remaining is null ? "" : $", remaining {Remaining}");

    /// <summary>
    /// The position and the step must agree: every step of an epoch took one batch on each rank of the world it ran in
    /// (one rank or more, whatever resumptions changed it), so the position is a multiple of the batch size and at
    /// least the step times the batch size, and a position above 0 took at least one step. A step that fails this
    /// would number the run's batches from it (and one near the largest integer would overflow).
    /// </summary>
    private static void EnsureConsistent(StateReader reader, long position, int step, PipelineStateIdentity identity)
    {
        int batchSize = identity.BatchSize;
        if (position % batchSize != 0)
        {
            throw reader.Invalid("position", string.Create(CultureInfo.InvariantCulture, $"a multiple of \"batchSize\" ({batchSize}): each step takes whole batches"));
        }

        long most = position / batchSize;
        if (step > most)
        {
            throw reader.Invalid("step", string.Create(CultureInfo.InvariantCulture,
                $"at most \"position\" / \"batchSize\" = {position} / {batchSize} = {most}: each step takes at least one batch"));
        }

        if (position > 0 && step == 0)
        {
            throw reader.Invalid("step", string.Create(CultureInfo.InvariantCulture, $"at least 1 when \"position\" is {position}: a position is reached in steps"));
        }
    }

    /// <summary>The fields of a parsed state, each missing or mistyped one named.</summary>
    internal readonly struct StateReader(JsonElement root, string origin)
    {
        public int Int(string name, int min)
        {
            long value = Long(name, min);
            return value <= int.MaxValue ? (int)value : throw Invalid(name, $"at most {int.MaxValue}");
        }

        public long Long(string name, long min = 0)
        {
            if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long value))
            {
                throw Invalid(name, "a whole number");
            }

            return value >= min ? value : throw Invalid(name, $"at least {min}");
        }

        public bool Has(string name) => root.TryGetProperty(name, out _);

        public double Double(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Invalid(name, "a number");

        public bool Bool(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? e.GetBoolean() : throw Invalid(name, "true or false");

        public string String(string name) => root.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid(name, "a string");

        /// <summary>A value written by its name: a number (<c>"1"</c>), which <see cref="System.Enum.TryParse{TEnum}(string, bool, out TEnum)"/> accepts, is refused.</summary>
        public TEnum Enum<TEnum>(string name)
            where TEnum : struct, Enum
        {
            string text = String(name);
            return System.Enum.GetNames<TEnum>().Contains(text, StringComparer.Ordinal) ? System.Enum.Parse<TEnum>(text)
                : throw Invalid(name, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
        }

        public InvalidDataException Invalid(string name, string what) =>
            new($"{origin} is not a usable pipeline state: \"{name}\" must be {what}, was {(root.TryGetProperty(name, out JsonElement e) ? e.GetRawText() : "missing")}.");
    }
}
