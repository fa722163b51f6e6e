using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Storage;

[TestClass]
public sealed class StoreRequestsTests
{
    private const string Store = "'s3://data' at http://127.0.0.1:1";

    [TestMethod]
    public async Task RunAsync_BreakerOpen_TriesGoOneAtATime()
    {
        var requests = new StoreRequests(new StorageOptions { BreakerFailures = 3, MaxOutage = TimeSpan.FromHours(1), RetryDelay = TimeSpan.FromMilliseconds(1) }, Store);
        using var stop = new CancellationTokenSource();
        int tries = 0;
        int inFlight = 0;
        int most = 0;
        async Task<int> Failing(CancellationToken token)
        {
            int now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            if (Interlocked.Increment(ref tries) == 40)
            {
                await stop.CancelAsync();
            }

            throw new StorageException("Reading 's3://data/a.jpg' failed with 503 SlowDown", 503);
        }

        // One caller alone opens the breaker (3 failures in a row)...
        while (!requests.IsOpen && tries < 10)
        {
            using var once = new CancellationTokenSource();
            await Assert.ThrowsAsync<OperationCanceledException>(() => requests.RunAsync(async t =>
            {
                try
                {
                    return await Failing(t);
                }
                finally
                {
                    await once.CancelAsync();
                }
            }, once.Token));
        }

        Assert.IsTrue(requests.IsOpen);
        int opened = tries;
        most = 0;

        // ...then eight callers at once, against a store that keeps failing, try one at a time.
        Task[] callers = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(() => requests.RunAsync(Failing, stop.Token)))];
        foreach (Task caller in callers)
        {
            await Assert.ThrowsAsync<OperationCanceledException>(() => caller);
        }

        Assert.IsGreaterThan(opened, tries);
        Assert.AreEqual(1, most, "tries in flight at once while the breaker is open");
    }

    [TestMethod]
    public async Task RunAsync_FailingPastMaxOutage_StoreDeclaredUnavailableLaterRequestsFailAtOnce()
    {
        var requests = new StoreRequests(new StorageOptions { MaxRetries = 2, MaxOutage = TimeSpan.Zero, RetryDelay = TimeSpan.FromMilliseconds(1) }, Store);
        int tries = 0;
        Task<int> Failing(CancellationToken token)
        {
            tries++;
            throw new StorageException("Reading 's3://data/a.jpg' failed with 500 InternalError", 500);
        }

        var e = await Assert.ThrowsExactlyAsync<StoreUnavailableException>(() => requests.RunAsync(Failing, CancellationToken.None));
        Assert.AreEqual(Store, e.Store);
        Assert.StartsWith($"The store {Store} is unavailable: it kept failing for ", e.Message);
        Assert.EndsWith(" s (StorageOptions.MaxOutage is 0 s). Reading 's3://data/a.jpg' failed with 500 InternalError; given up after 2 retries.", e.Message);
        Assert.AreEqual(500, ((StorageException)e.InnerException!).Status);
        Assert.AreEqual(3, tries);
        await Assert.ThrowsExactlyAsync<StoreUnavailableException>(() => requests.RunAsync(Failing, CancellationToken.None));
        Assert.AreEqual(3, tries, "no request sent to a store declared unavailable");
    }

    [TestMethod]
    public async Task RunAsync_NotFoundOrRefused_NotRetriedAndCountedAsAnAnswer()
    {
        var requests = new StoreRequests(new StorageOptions { BreakerFailures = 1, MaxRetries = 3, RetryDelay = TimeSpan.FromMilliseconds(1) }, Store);
        int tries = 0;
        await Assert.ThrowsExactlyAsync<StorageException>(() => requests.RunAsync<int>(_ =>
        {
            tries++;
            throw new StorageException("Reading 's3://data/a.jpg' failed with 403 AccessDenied", 403);
        }, CancellationToken.None));
        Assert.AreEqual(1, tries);
        Assert.IsFalse(requests.IsOpen);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
