using System.Collections;
using System.Globalization;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// A Parquet dataset's samples held as three integers each (its row group's ordinal, its row in the row group, its label),
/// each <see cref="SampleInfo"/> made when asked for: a million rows hold 12 MB, not a million ids, samples and positions
/// kept alive for the whole run. The dataset's fingerprint and the counts per class read the ids and labels from here
/// (<see cref="ICompactSamples"/>) without making the samples.
/// </summary>
/// <remarks>A run is a row group's consecutive rows of one label; its folder is the file's name and <c>#</c>, the name
/// of a sample its row's index in the file, so the runs give each id as the samples do.</remarks>
internal sealed class ParquetSamples : ICompactSamples
{
    [ThreadStatic]
    private static byte[]? t_name;

    private (int Start, string Folder, int Label)[]? _runs;
    private readonly List<(ParquetFile File, int Group)> _groups = [];
    private readonly List<int> _group = [];
    private readonly List<int> _row = [];
    private readonly List<int> _label = [];

    /// <summary>Adds row group <paramref name="group"/> of <paramref name="file"/>; its ordinal is the samples' shard.</summary>
    public int AddGroup(ParquetFile file, int group)
    {
        _groups.Add((file, group));
        return _groups.Count - 1;
    }

    /// <summary>Adds the sample of row <paramref name="row"/> (in its row group) of row group <paramref name="shard"/>.</summary>
    public void Add(int shard, int row, int label)
    {
        _group.Add(shard);
        _row.Add(row);
        _label.Add(label);
    }

    /// <summary>Frees what the lists reserved past their counts.</summary>
    public void TrimExcess()
    {
        _group.TrimExcess();
        _row.TrimExcess();
        _label.TrimExcess();
    }

    public int Count => _label.Count;

    public IReadOnlyList<(int Start, string Folder, int Label)> Runs => _runs ??= MakeRuns();

    public int LabelOf(int index) => _label[index];

    /// <summary>The row's index in its file as UTF-8, in a buffer of the calling thread valid until its next call.</summary>
    public ReadOnlySpan<byte> NameOf(int index)
    {
        (ParquetFile file, int group) = _groups[_group[index]];
        byte[] name = t_name ??= new byte[20];
        (file.FirstRow[group] + _row[index]).TryFormat(name, out int written, default, CultureInfo.InvariantCulture);
        return name.AsSpan(0, written);
    }

    private (int Start, string Folder, int Label)[] MakeRuns()
    {
        var runs = new List<(int Start, string Folder, int Label)>();
        string[] folders = [.. _groups.Select(g => g.File.Name + "#")];
        for (int i = 0; i < Count; i++)
        {
            if (i == 0 || _group[i] != _group[i - 1] || _label[i] != _label[i - 1])
            {
                // Row groups of one file share its folder string.
                string folder = i > 0 && _groups[_group[i]].File == _groups[_group[i - 1]].File ? runs[^1].Folder : folders[_group[i]];
                runs.Add((i, folder, _label[i]));
            }
        }

        return [.. runs];
    }

    public SampleInfo this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            int shard = _group[index], row = _row[index];
            (ParquetFile file, int group) = _groups[shard];
            long inFile = file.FirstRow[group] + row;
            return new SampleInfo(index, file.Name + "#" + inFile.ToString(CultureInfo.InvariantCulture), _label[index]) { State = new ParquetRow(file, group, row, shard) };
        }
    }

    public IEnumerator<SampleInfo> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
