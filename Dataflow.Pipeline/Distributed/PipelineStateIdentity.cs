using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Normalization;

namespace Dataflow.Pipeline.Distributed;

/// <summary>
/// What a <see cref="PipelineState"/>'s position refers to: the seed, the options that decide which sample goes in
/// which batch (as values, so a difference is named), fingerprints of the options that decide the pixels, and a
/// fingerprint of the dataset.
/// </summary>
/// <remarks>
/// The dataset's fingerprint is a SHA-256 (first 8 bytes) over the class names and every sample's id (relative to the
/// ids' common folder, so a dataset moved or mounted elsewhere keeps it) and label. Content changed under the same
/// file names is not seen. Options that do not change batches (epochs, parallelism, capacities, error policy) are
/// not part of it; nor are stages added with <c>AddStage</c> or <c>AddBlock</c>, which the state cannot see.
/// </remarks>
/// <param name="Seed">The run's seed.</param>
/// <param name="BatchSize">Images per batch and rank.</param>
/// <param name="Shuffle">Whether each epoch's order is permuted.</param>
/// <param name="ShuffleWithinBatch">Whether each batch's rows are permuted.</param>
/// <param name="DropLast">Whether a short last step is left out.</param>
/// <param name="Remainder">The remainder policy.</param>
/// <param name="ValidationSplit">The validation fraction.</param>
/// <param name="Subset">The streamed subset.</param>
/// <param name="Image">Fingerprint of the decode options: size, colour, resize, interpolation, reduced decode, pixel limit, truncated JPEGs, EXIF.</param>
/// <param name="Normalization">Fingerprint of the normalization and the layout.</param>
/// <param name="Augmentations">Fingerprint of the augmentations, in order.</param>
/// <param name="Dataset">Fingerprint of the discovered dataset.</param>
/// <param name="Samples">Samples in the streamed subset (one epoch).</param>
public sealed record PipelineStateIdentity(long Seed, int BatchSize, bool Shuffle, bool ShuffleWithinBatch, bool DropLast, RemainderPolicy Remainder,
    double ValidationSplit, Subset Subset, string Image, string Normalization, string Augmentations, string Dataset, int Samples)
{
    /// <summary>The shard-buffer order's buffer size (<see cref="Sources.ShardShufflePlanner"/>); 0 when the epoch's order is
    /// the built-in one (a full shuffle, or the selection as it is).</summary>
    public int ShuffleBuffer { get; init; }

    /// <summary>The identity of a run with <paramref name="options"/> over a dataset with this fingerprint and subset size.</summary>
    public static PipelineStateIdentity For(PipelineOptions options, string dataset, int samples)
    {
        ArgumentNullException.ThrowIfNull(options);
        string image = string.Create(CultureInfo.InvariantCulture,
            $"{options.Width}x{options.Height}|{options.ColorMode}|{options.ResizeMode}|{options.Interpolation}|{options.ReducedDecode}|{options.MaxImagePixels}|{options.AcceptTruncatedJpeg}|{options.HonorExifOrientation}");
        // Values in the pipeline's channel order, as a built pipeline holds them: options before and after Build
        // (NormalizationOptions.InChannelOrder) have the same identity.
        NormalizationOptions n = options.Normalization.InChannelOrder(options.ColorMode);
        string normalization = string.Create(CultureInfo.InvariantCulture,
            $"{n.Scale:R}|{string.Join(',', n.Mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}|{string.Join(',', n.Std.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}|{options.Layout}");
        string augmentations = string.Join('\n', options.Augmentations.Select(a => a.ToString()));
        return new PipelineStateIdentity(options.Seed, options.BatchSize, options.Shuffle, options.ShuffleWithinBatch, options.DropLast, options.Remainder,
            options.ValidationSplit, options.Subset, Hash(image), Hash(normalization), Hash(augmentations), dataset, samples);
    }

    /// <summary>The dataset's fingerprint: class names, and each sample's id (relative to the ids' common folder) and label.</summary>
    public static string Fingerprint(SampleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        using var hash = new HashWriter();
        hash.Append(BitConverter.GetBytes(set.ClassNames.Count));
        foreach (string name in set.ClassNames)
        {
            hash.Append(Encoding.UTF8.GetBytes(name + "\0"));
        }

        if (set.Samples is ICompactSamples compact)
        {
            // The same bytes, from the runs' folders and the names as stored: no sample or path string is made.
            IReadOnlyList<(int Start, string Folder, int Label)> runs = compact.Runs;
            int common = CommonFolderLength(runs.Select(r => r.Folder));
            for (int r = 0; r < runs.Count; r++)
            {
                byte[] folder = Encoding.UTF8.GetBytes(runs[r].Folder[common..].Replace('\\', '/'));
                hash.AppendRun(compact, folder, runs[r].Label, runs[r].Start, r + 1 < runs.Count ? runs[r + 1].Start : compact.Count);
            }
        }
        else
        {
            int common = CommonFolderLength(set.Samples.Select(s => s.Id));
            foreach (SampleInfo s in set.Samples)
            {
                hash.Append(Encoding.UTF8.GetBytes(s.Id.AsSpan(common).ToString().Replace('\\', '/') + "\0"));
                hash.Append(BitConverter.GetBytes(s.Label));
            }
        }

        return Convert.ToHexStringLower(hash.Finish().AsSpan(0, 8));
    }

    /// <summary>Every field that differs from <paramref name="run"/>, each as "name: state value, run value".</summary>
    public IReadOnlyList<string> Differences(PipelineStateIdentity run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var differences = new List<string>();
        void Compare<T>(string name, T saved, T now)
        {
            if (!EqualityComparer<T>.Default.Equals(saved, now))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name} was {saved} in the state, is {now} in this run"));
            }
        }

        Compare(nameof(PipelineOptions.Seed), Seed, run.Seed);
        Compare(nameof(PipelineOptions.BatchSize), BatchSize, run.BatchSize);
        Compare(nameof(PipelineOptions.Shuffle), Shuffle, run.Shuffle);
        Compare(nameof(PipelineOptions.ShuffleWithinBatch), ShuffleWithinBatch, run.ShuffleWithinBatch);
        Compare(nameof(PipelineOptions.DropLast), DropLast, run.DropLast);
        Compare(nameof(PipelineOptions.Remainder), Remainder, run.Remainder);
        Compare(nameof(PipelineOptions.ValidationSplit), ValidationSplit, run.ValidationSplit);
        Compare(nameof(PipelineOptions.Subset), Subset, run.Subset);
        Compare("ShuffleBuffer (the shard-buffer order's; 0 for the built-in order)", ShuffleBuffer, run.ShuffleBuffer);
        Compare("image options (size, colour, resize, interpolation, decode) fingerprint", Image, run.Image);
        Compare("normalization and layout fingerprint", Normalization, run.Normalization);
        Compare($"{nameof(PipelineOptions.Augmentations)} fingerprint", Augmentations, run.Augmentations);
        return differences;
    }

    internal void WriteTo(Utf8JsonWriter json)
    {
        json.WriteNumber("seed", Seed);
        json.WriteNumber("batchSize", BatchSize);
        json.WriteBoolean("shuffle", Shuffle);
        json.WriteBoolean("shuffleWithinBatch", ShuffleWithinBatch);
        json.WriteBoolean("dropLast", DropLast);
        json.WriteString("remainder", Remainder.ToString());
        json.WriteNumber("validationSplit", ValidationSplit);
        json.WriteString("subset", Subset.ToString());
        json.WriteString("image", Image);
        json.WriteString("normalization", Normalization);
        json.WriteString("augmentations", Augmentations);
        json.WriteString("dataset", Dataset);
        json.WriteNumber("samples", Samples);
        if (ShuffleBuffer > 0)
        {
            json.WriteNumber("shuffleBuffer", ShuffleBuffer);
        }
    }

    internal static PipelineStateIdentity ReadFrom(PipelineState.StateReader state) => new(
        state.Long("seed", long.MinValue), state.Int("batchSize", 1), state.Bool("shuffle"), state.Bool("shuffleWithinBatch"), state.Bool("dropLast"),
        state.Enum<RemainderPolicy>("remainder"), state.Double("validationSplit"), state.Enum<Subset>("subset"),
        state.String("image"), state.String("normalization"), state.String("augmentations"), state.String("dataset"), state.Int("samples", 1))
    {
        ShuffleBuffer = state.Has("shuffleBuffer") ? state.Int("shuffleBuffer", 1) : 0,
    };

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 8));

    private static int CommonFolderLength(IEnumerable<string> ids)
    {
        string? first = null;
        int length = 0;
        foreach (string id in ids)
        {
            if (first is null)
            {
                first = id;
                length = id.Length;
            }
            else
            {
                length = first.AsSpan(0, length).CommonPrefixLength(id);
            }
        }

        return first is null ? 0 : first.AsSpan(0, length).LastIndexOfAny('/', '\\') + 1;
    }

    /// <summary>Feeds a SHA-256 through a buffer: one call per 64 KiB rather than per sample.</summary>
    private sealed class HashWriter : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _filled;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (_filled + bytes.Length > _buffer.Length)
            {
                Flush();
                if (bytes.Length > _buffer.Length)
                {
                    _hash.AppendData(bytes);
                    return;
                }
            }

            bytes.CopyTo(_buffer.AsSpan(_filled));
            _filled += bytes.Length;
        }

        /// <summary>Appends samples <paramref name="start"/> to <paramref name="end"/> of one run: folder, name (<c>\\</c> as <c>/</c>), 0, label.</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void AppendRun(ICompactSamples samples, byte[] folder, int label, int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                ReadOnlySpan<byte> name = samples.NameOf(i);
                int length = folder.Length + name.Length + 5;
                if (_filled + length > _buffer.Length)
                {
                    Flush();
                    if (length > _buffer.Length)
                    {
                        Append(folder);
                        AppendPath(name);
                        Append([0]);
                        Append(BitConverter.GetBytes(label));
                        continue;
                    }
                }

                Span<byte> to = _buffer.AsSpan(_filled, length);
                folder.CopyTo(to);
                Span<byte> written = to.Slice(folder.Length, name.Length);
                name.CopyTo(written);
                written.Replace((byte)'\\', (byte)'/');
                to[^5] = 0;
                BitConverter.TryWriteBytes(to[^4..], label);
                _filled += length;
            }
        }

        /// <summary>Appends a path's UTF-8 with <c>\\</c> written as <c>/</c> (a byte that is never part of another character).</summary>
        public void AppendPath(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IndexOf((byte)'\\') < 0)
            {
                Append(bytes);
                return;
            }

            byte[] copy = bytes.ToArray();
            copy.AsSpan().Replace((byte)'\\', (byte)'/');
            Append(copy);
        }

        public byte[] Finish()
        {
            Flush();
            return _hash.GetHashAndReset();
        }

        public void Dispose() => _hash.Dispose();

        private void Flush()
        {
            _hash.AppendData(_buffer, 0, _filled);
            _filled = 0;
        }
    }
}
