using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Dataflow.Samples.Generators;
using Dataflow.Samples.Output;
using Spectre.Console;

namespace Dataflow.Samples.Commands;

/// <summary>
/// <c>catalan</c>: the first generator example. An endless, lazily produced stream of Catalan numbers
/// behind a bounded Dataflow buffer, consumed in chunks.
/// </summary>
public static class CatalanCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create(CommandEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var count = new Option<int>("--count") { Description = "How many Catalan numbers to take.", DefaultValueFactory = _ => 10 }.InRange(1, 100_000);
        var chunk = new Option<int>("--chunk") { Description = "How many the consumer takes at a time.", DefaultValueFactory = _ => 5 }.InRange(1, 100_000);
        var bound = new Option<int>("--bound") { Description = "The buffer's capacity: the most numbers the producer may run ahead.", DefaultValueFactory = _ => 5 }.InRange(1, 100_000);
        var json = JsonOption.Create();
        var command = new Command("catalan", "Take Catalan numbers from an endless, lazily produced Dataflow source with back-pressure, in chunks.")
        {
            count, chunk, bound, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CatalanRun run = await RunAsync(parse.GetValue(count), parse.GetValue(chunk), parse.GetValue(bound), cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                Json.Write(environment.Out, new
                {
                    Command = "catalan",
                    Count = run.Chunks.Sum(c => c.Length),
                    Chunk = parse.GetValue(chunk),
                    Bound = run.Bound,
                    // Strings: the numbers outgrow every JSON reader's integers.
                    Chunks = run.Chunks.Select(c => c.Select(Format).ToArray()).ToArray(),
                    run.MaxLead,
                });
                return ExitCodes.Success;
            }

            IAnsiConsole console = environment.Console;
            console.MarkupLine($"[bold]catalan[/]: {run.Chunks.Sum(c => c.Length)} numbers from an endless source, bounded buffer of {run.Bound}, taken {parse.GetValue(chunk)} at a time");
            for (int i = 0; i < run.Chunks.Count; i++)
            {
                console.WriteLine($"chunk {i + 1}: {string.Join(", ", run.Chunks[i].Select(Format))}");
            }

            console.WriteLine($"before each chunk the producer was at most {run.MaxLead} numbers ahead of the consumer (bound {run.Bound})");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Takes <paramref name="count"/> numbers in chunks of <paramref name="chunk"/> and records how far the producer got ahead.</summary>
    public static async Task<CatalanRun> RunAsync(int count, int chunk, int bound, CancellationToken cancellationToken = default)
    {
        await using var source = new CatalanSource(bound);
        var chunks = new List<BigInteger[]>();
        long taken = 0, maxLead = 0;
        while (taken < count)
        {
            int size = (int)Math.Min(chunk, count - taken);
            // Measured before each chunk, when the producer has had the most time to run ahead.
            maxLead = Math.Max(maxLead, source.Produced - taken);
            chunks.Add(await source.TakeAsync(size, cancellationToken).ConfigureAwait(false));
            taken += size;
        }

        return new CatalanRun(chunks, bound, maxLead);
    }

    private static string Format(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What <c>catalan</c> took.</summary>
/// <param name="Chunks">The numbers, chunk by chunk.</param>
/// <param name="Bound">The buffer's capacity.</param>
/// <param name="MaxLead">The most numbers produced but not yet taken, seen before each chunk.</param>
public sealed record CatalanRun(IReadOnlyList<BigInteger[]> Chunks, int Bound, long MaxLead);
