using System.Runtime.InteropServices;
using Dataflow.Pipeline.Discovery;
using Dataflow.Pipeline.Tests.Support;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// One real folder or file reached by several paths (a root posted twice or spelled differently, symbolic links to
/// roots, class folders and files): each real file is discovered once, under the first path, every other path is
/// reported as ignored with the reason, and with a validation split no file is in both subsets.
/// </summary>
[TestClass]
public sealed partial class DuplicatePathTests
{
    private const int Classes = 2;
    private const int PerClass = 5;

    [TestMethod]
    public Task Run_SameRootPostedTwice_EachFileOnce() => AssertDiscoveredOnceAsync(data => [data.Root, data.Root], data => [data.Root]);

    [TestMethod]
    public Task Run_RootAndRootWithTrailingSlash_EachFileOnce() =>
        AssertDiscoveredOnceAsync(data => [data.Root, data.Root + Path.DirectorySeparatorChar], data => [data.Root + Path.DirectorySeparatorChar]);

    [TestMethod]
    public Task Run_RootAndDotDotSpelling_EachFileOnce() => AssertDiscoveredOnceAsync(
        data =>
        {
            // root/class0/../../<root name>: the same folder through a detour.
            string detour = Path.Combine(data.Root, "class0", "..", "..", Path.GetFileName(data.Root));
            return [data.Root, detour];
        },
        data => [Path.GetFullPath(Path.Combine(data.Root, "class0", "..", "..", Path.GetFileName(data.Root)))]);

    [TestMethod]
    public async Task Run_RootAndSymlinkToIt_EachFileOnceInEitherOrder()
    {
        foreach (bool linkFirst in new[] { false, true })
        {
            string link = Path.Combine(Path.GetTempPath(), "dataflow-tests", "link-" + Guid.NewGuid().ToString("N"));
            try
            {
                await AssertDiscoveredOnceAsync(
                    data =>
                    {
                        Directory.CreateSymbolicLink(link, data.Root);
                        return linkFirst ? [link, data.Root] : [data.Root, link];
                    },
                    data => [linkFirst ? data.Root : link],
                    kept: data => linkFirst ? link : data.Root);
            }
            finally
            {
                File.Delete(link);
            }
        }
    }

    [TestMethod]
    public async Task Run_ClassFolderOfSecondRootLinksToFirstRootsClass_EachFileOnce()
    {
        using var other = new TempDataset();
        await AssertDiscoveredOnceAsync(
            data =>
            {
                // The second root adds a class of its own and links class0 to the first root's.
                other.AddImage("class2", "own.png", seed: 90);
                Directory.CreateSymbolicLink(Path.Combine(other.Root, "class0"), Path.Combine(data.Root, "class0"));
                return [data.Root, other.Root];
            },
            data => [Path.Combine(other.Root, "class0")],
            extra: [Path.Combine(other.Root, "class2", "own.png")]);
    }

    [TestMethod]
    public Task Run_SubFolderLinkedFromAnotherClass_EachFileOnceUnderItsFirstPath() => AssertDiscoveredOnceAsync(
        data =>
        {
            // class1/more is a real folder; class0/link reaches it too. Classes are walked by label, so class0 takes it
            // first and class1/more is the duplicate: one label per file, whichever path is the link.
            data.AddImage("class1", "more/m.png", seed: 91);
            Directory.CreateSymbolicLink(Path.Combine(data.Root, "class0", "link"), Path.Combine(data.Root, "class1", "more"));
            return [data.Root];
        },
        data => [Path.Combine(data.Root, "class1", "more")],
        extra: [Path.Combine("class0", "link", "m.png")]);

    [TestMethod]
    public Task Run_SubFolderLinkedTwiceInOneClass_WalkedOnceUnderTheFirstName() => AssertDiscoveredOnceAsync(
        data =>
        {
            // A hidden folder of the root is no class, but links to it are followed: b and a both reach it.
            string target = Path.GetDirectoryName(data.AddImage(".shared", "s.png", seed: 92))!;
            Directory.CreateSymbolicLink(Path.Combine(data.Root, "class1", "b"), target);
            Directory.CreateSymbolicLink(Path.Combine(data.Root, "class1", "a"), target);
            return [data.Root];
        },
        data => [Path.Combine(data.Root, "class1", "b")],
        extra: [Path.Combine("class1", "a", "s.png")]);

    [TestMethod]
    public Task Run_FileLinkedFromAnotherClassAndTheSameClass_KeptOnceUnderTheFirstPathInSampleOrder() => AssertDiscoveredOnceAsync(
        data =>
        {
            // In class0 (label 0) the link comes first in sample order: it is kept and the real file in class1 is the duplicate.
            File.CreateSymbolicLink(Path.Combine(data.Root, "class0", "a-link.png"), Path.Combine(data.Root, "class1", "img000.png"));
            // In class1 the link sorts after the file it reaches: the link is the duplicate.
            File.CreateSymbolicLink(Path.Combine(data.Root, "class1", "z-link.png"), "img001.png");
            return [data.Root];
        },
        data => [Path.Combine(data.Root, "class1", "img000.png"), Path.Combine(data.Root, "class1", "z-link.png")],
        replaced: data => (Path.Combine(data.Root, "class1", "img000.png"), Path.Combine(data.Root, "class0", "a-link.png")));

    [TestMethod]
    public Task Run_FileHardLinkedIntoAnotherClass_KeptOnceUnderTheFirstPathInSampleOrder() => AssertDiscoveredOnceAsync(
        data =>
        {
            // One file under two names, neither of them a link: class0 (label 0) comes first in sample order.
            HardLink(Path.Combine(data.Root, "class1", "img000.png"), Path.Combine(data.Root, "class0", "a-hard.png"));
            return [data.Root];
        },
        data => [Path.Combine(data.Root, "class1", "img000.png")],
        replaced: data => (Path.Combine(data.Root, "class1", "img000.png"), Path.Combine(data.Root, "class0", "a-hard.png")),
        reason: data => $"file is the same file as '{Path.Combine(data.Root, "class0", "a-hard.png")}' (a hard link to it: " +
            $"{Dataflow.Pipeline.Internal.FileIdentity.Of(Path.Combine(data.Root, "class0", "a-hard.png"))!.Describe()}), already discovered: listed once");

    [TestMethod]
    public async Task Run_ClassFolderThatIsAnotherClassFolder_FaultsNamingBoth()
    {
        using var data = new TempDataset().WithClasses(Classes, PerClass, 8, 8);
        string alias = Path.Combine(data.Root, "class9");
        Directory.CreateSymbolicLink(alias, Path.Combine(data.Root, "class0"));

        FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root);

        Assert.IsInstanceOfType<InvalidDataException>(run.Error, $"got {run.Error}");
        Assert.Contains($"'{alias}' is the same folder as '{Path.Combine(data.Root, "class0")}'", run.Error.Message);
        Assert.Contains("one folder cannot be two classes", run.Error.Message);
        Assert.IsEmpty(run.Batches);
    }

    /// <summary>
    /// Runs the training and the validation subset (split 0.5) over the roots <paramref name="arrange"/> gives, and checks
    /// that every real file is batched exactly once per epoch across the two subsets, under its first path.
    /// </summary>
    /// <param name="arrange">Writes the extra paths and returns the roots to post.</param>
    /// <param name="duplicates">The paths that must be reported as already discovered.</param>
    /// <param name="extra">Files beyond root/classC/imgNNN.png that are samples (absolute, or relative to the root).</param>
    /// <param name="kept">The root that keeps its paths (default: the dataset's own).</param>
    /// <param name="replaced">A sample path that is batched under another path instead (the first in sample order).</param>
    private static async Task AssertDiscoveredOnceAsync(Func<TempDataset, string[]> arrange, Func<TempDataset, string[]> duplicates,
        string[]? extra = null, Func<TempDataset, string>? kept = null, Func<TempDataset, (string Real, string KeptAs)>? replaced = null,
        Func<TempDataset, string>? reason = null)
    {
        using var data = new TempDataset().WithClasses(Classes, PerClass, 8, 8);
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string[] roots = arrange(data);
            string keptRoot = kept?.Invoke(data) ?? data.Root;
            var expected = new List<string>();
            for (int c = 0; c < Classes; c++)
            {
                for (int i = 0; i < PerClass; i++)
                {
                    expected.Add(Path.Combine(keptRoot, $"class{c}", $"img{i:D3}.png"));
                }
            }

            expected.AddRange((extra ?? []).Select(e => Path.IsPathRooted(e) ? e : Path.Combine(keptRoot, e)));
            if (replaced?.Invoke(data) is (string real, string keptAs))
            {
                expected[expected.IndexOf(real)] = keptAs;
            }

            var subsets = new Dictionary<Subset, string[]>();
            foreach (Subset subset in new[] { Subset.Training, Subset.Validation })
            {
                PipelineOptions options = FaultHarness.Small() with { ValidationSplit = 0.5, Subset = subset };
                FaultRun run = await FaultHarness.RunAsync(options, roots);
                FaultHarness.AssertFinishedAndAccounted(run);
                Assert.AreEqual(expected.Count, run.Report.Discovered, run.Report.ToString());
                foreach (string duplicate in duplicates(data))
                {
                    IgnoredEntry? entry = run.Report.Ignored.SingleOrDefault(i => i.Path == duplicate || i.Path == Path.GetFullPath(duplicate));
                    Assert.IsNotNull(entry, $"'{duplicate}' should be reported; ignored: {string.Join(" | ", run.Report.Ignored)}");
                    if (reason is null)
                    {
                        Assert.Contains("already discovered", entry.Reason);
                        Assert.Contains("real path", entry.Reason);
                    }
                    else
                    {
                        Assert.AreEqual(reason(data), entry.Reason);
                    }
                }

                string[] epoch0 = [.. run.Batches.Where(b => b.Epoch == 0).SelectMany(b => b.Paths)];
                string[] epoch1 = [.. run.Batches.Where(b => b.Epoch == 1).SelectMany(b => b.Paths)];
                Assert.HasCount(epoch0.Length, epoch0.Distinct(), "a file twice in one epoch");
                CollectionAssert.AreEquivalent(epoch0, epoch1);
                subsets[subset] = epoch0;
            }

            Assert.IsEmpty(subsets[Subset.Training].Intersect(subsets[Subset.Validation]), "a file in both subsets");
            CollectionAssert.AreEquivalent(expected, subsets[Subset.Training].Concat(subsets[Subset.Validation]).ToList());
        });
    }

    private static void HardLink(string existing, string name)
    {
        if (Link(existing, name) != 0)
        {
            throw new IOException($"link '{existing}' as '{name}': {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existing, string name);
}
