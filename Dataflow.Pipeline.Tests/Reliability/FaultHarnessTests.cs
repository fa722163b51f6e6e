using System.Runtime.CompilerServices;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>The checks the reliability tests rely on can fail: an unobserved task exception is caught.</summary>
[TestClass]
public sealed class FaultHarnessTests
{
    [TestMethod]
    public async Task WithoutUnobservedExceptionsAsync_FaultedTaskNobodyObserves_Fails()
    {
        string marker = "unobserved-" + Guid.NewGuid().ToString("N");
        var failure = await Assert.ThrowsExactlyAsync<AssertFailedException>(() => FaultHarness.WithoutUnobservedExceptionsAsync(marker, () =>
        {
            Abandon(marker);
            return Task.CompletedTask;
        }));
        Assert.Contains(marker, failure.Message);
    }

    [TestMethod]
    public async Task WithoutUnobservedExceptionsAsync_ObservedFault_Passes()
    {
        string marker = "observed-" + Guid.NewGuid().ToString("N");
        await FaultHarness.WithoutUnobservedExceptionsAsync(marker, async () =>
        {
            await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => Task.FromException(new InvalidOperationException(marker)));
        });
    }

    // A faulted task that becomes garbage without anyone reading its exception.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Abandon(string marker) => _ = Task.FromException(new InvalidOperationException(marker));
}
