namespace Dataflow.Pipeline.Sources;

/// <summary>
/// Makes Hugging Face Parquet datasets readable where a dataset location is detected (<see cref="DatasetSources"/>, the
/// samples app's <c>--data</c>): call <see cref="Register"/> once at start-up. <see cref="ParquetSampleSource"/> can also
/// be used directly, without it.
/// </summary>
public static class ParquetDatasets
{
    /// <summary>Registers the Parquet form with <see cref="DatasetSources"/>; calling it again changes nothing.</summary>
    public static void Register() =>
        DatasetSources.Register(DatasetForm.Parquet, static options => new ParquetSampleSource(options.Parquet ?? new ParquetSourceOptions { Storage = options.Storage }));
}
