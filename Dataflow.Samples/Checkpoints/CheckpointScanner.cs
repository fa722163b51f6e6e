using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Tasks.Dataflow;

namespace Dataflow.Samples.Checkpoints;

/// <summary>A checkpoint file whose name carries its validation loss.</summary>
/// <param name="Name">The file name.</param>
/// <param name="Epoch">The epoch from the name, when the pattern has an <c>epoch</c> group.</param>
/// <param name="Loss">The validation loss from the name.</param>
public sealed record Checkpoint(string Name, int? Epoch, double Loss);

/// <summary>A file name that is not a checkpoint, and why.</summary>
/// <param name="Name">The file name.</param>
/// <param name="Reason">Why it was left out.</param>
public sealed record IgnoredName(string Name, string Reason);

/// <summary>The checkpoints of a folder, best (lowest loss) first, and the names that did not match.</summary>
/// <param name="Checkpoints">Sorted by loss, then epoch, then name.</param>
/// <param name="Ignored">Sorted by name.</param>
public sealed record CheckpointListing(IReadOnlyList<Checkpoint> Checkpoints, IReadOnlyList<IgnoredName> Ignored)
{
    /// <summary>The checkpoint with the lowest loss, or null when none matched.</summary>
    public Checkpoint? Best => Checkpoints.Count > 0 ? Checkpoints[0] : null;
}

/// <summary>
/// The second generator example as a Dataflow transform: file names flow through a regex stage that
/// extracts the validation loss from Keras' default checkpoint names, <c>weights.{epoch:02d}-{val_loss:.2f}.hdf5</c>.
/// </summary>
public sealed class CheckpointScanner
{
    /// <summary>Keras' default <c>ModelCheckpoint</c> file name, <c>weights.{epoch:02d}-{val_loss:.2f}.hdf5</c>.</summary>
    public const string DefaultPattern = @"^weights\.(?<epoch>\d+)-(?<loss>\d+(?:\.\d+)?)\.hdf5$";

    private readonly Regex _pattern;

    /// <summary>Creates a scanner for names matching <paramref name="pattern"/>, which must have a <c>(?&lt;loss&gt;…)</c> group.</summary>
    /// <exception cref="ArgumentException">The pattern does not compile, or has no <c>loss</c> group.</exception>
    public CheckpointScanner(string pattern = DefaultPattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        try
        {
            _pattern = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--pattern is not a valid regular expression: {e.Message}", nameof(pattern), e);
        }

        if (!_pattern.GetGroupNames().Contains("loss", StringComparer.Ordinal))
        {
            throw new ArgumentException($"--pattern must capture the loss in a group named 'loss', as (?<loss>\\d+\\.\\d+); was '{pattern}'.", nameof(pattern));
        }
    }

    /// <summary>Parses one file name: a checkpoint, or the reason it is not one.</summary>
    public (Checkpoint? Checkpoint, IgnoredName? Ignored) Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Match match = _pattern.Match(name);
        if (!match.Success)
        {
            return (null, new IgnoredName(name, "does not match the pattern"));
        }

        string lossText = match.Groups["loss"].Value;
        if (!double.TryParse(lossText, NumberStyles.Float, CultureInfo.InvariantCulture, out double loss) || !double.IsFinite(loss))
        {
            return (null, new IgnoredName(name, $"the loss '{lossText}' is not a finite number"));
        }

        int? epoch = null;
        Group epochGroup = match.Groups["epoch"];
        if (epochGroup.Success && int.TryParse(epochGroup.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int e))
        {
            epoch = e;
        }

        return (new Checkpoint(name, epoch, loss), null);
    }

    /// <summary>Streams the file names of <paramref name="folder"/> (not recursive) through the regex stage.</summary>
    public async Task<CheckpointListing> ScanAsync(string folder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var checkpoints = new List<Checkpoint>();
        var ignored = new List<IgnoredName>();
        var parse = new TransformBlock<string, (Checkpoint? Checkpoint, IgnoredName? Ignored)>(Parse,
            new ExecutionDataflowBlockOptions { BoundedCapacity = 64, MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken });
        var collect = new ActionBlock<(Checkpoint? Checkpoint, IgnoredName? Ignored)>(r =>
        {
            if (r.Checkpoint is not null)
            {
                checkpoints.Add(r.Checkpoint);
            }
            else
            {
                ignored.Add(r.Ignored!);
            }
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 64, CancellationToken = cancellationToken });
        parse.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });

        foreach (string path in Directory.EnumerateFiles(folder))
        {
            if (!await parse.SendAsync(Path.GetFileName(path), cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        parse.Complete();
        await collect.Completion.ConfigureAwait(false);
        checkpoints.Sort((a, b) =>
        {
            int c = a.Loss.CompareTo(b.Loss);
            c = c != 0 ? c : Nullable.Compare(a.Epoch, b.Epoch);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });
        ignored.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new CheckpointListing(checkpoints, ignored);
    }
}
