namespace Dataflow.Pipeline.Sources;

/// <summary>
/// What a sample's <see cref="Discovery.SampleInfo.State"/> says about where it is read from: the ordinal of the unit
/// that is read front to back (a tar shard, a Parquet row group, a TFRecord file), so that
/// <see cref="ShardShufflePlanner"/> can order an epoch by those units.
/// </summary>
internal interface IShardPosition
{
    /// <summary>The unit's ordinal among the dataset's units (discovery order).</summary>
    int Shard { get; }
}
