using System.Runtime.InteropServices;
using Dataflow.Pipeline.Tests.Support;
using OpenCvSharp;

namespace Dataflow.Pipeline.Tests.Reliability;

/// <summary>
/// Files that change or cannot be opened between discovery and read, odd entries in class folders
/// (FIFOs, symbolic link loops) and awkward names, through the whole graph.
/// </summary>
/// <remarks>
/// The tests run as root, where <c>chmod 000</c> does not stop a read. "Cannot be read" is therefore made
/// deterministic in two ways that fail for any user: another handle holds the file with
/// <see cref="FileShare.None"/> (a sharing violation, <see cref="IOException"/>), and a folder takes the
/// file's place (<see cref="UnauthorizedAccessException"/>, the exception .NET also raises for EACCES).
/// </remarks>
[TestClass]
public sealed partial class FileSystemFaultTests
{
    [TestMethod]
    public Task Run_FileDeletedAfterDiscovery_SkippedAtReadAsNotFound() => AssertSkippedAtReadAsync(
        data => data.AddImage("b", "vanishing.png", seed: 30),
        path => File.Delete(path),
        "Could not find file");

    [TestMethod]
    public Task Run_FileReplacedByFolderAfterDiscovery_SkippedAtReadAsAccessDenied() => AssertSkippedAtReadAsync(
        data => data.AddImage("b", "now-a-folder.png", seed: 31),
        path =>
        {
            File.Delete(path);
            Directory.CreateDirectory(path);
        },
        "is denied");

    [TestMethod]
    public async Task Run_FileHeldExclusivelyByAnotherHandle_SkippedAtReadAsUnreadable()
    {
        FileStream? holder = null;
        try
        {
            await AssertSkippedAtReadAsync(
                data => data.AddImage("b", "locked.png", seed: 32),
                path => holder = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None),
                "being used by another process");
        }
        finally
        {
            holder?.Dispose();
        }
    }

    [TestMethod]
    [OSCondition(OperatingSystems.Linux)]
    public Task Run_FifoNamedJpg_SkippedAsEmptyWithoutBlocking() => AssertSkippedAsync(
        data =>
        {
            string path = Path.Combine(data.Root, "b", "pipe.jpg");
            Assert.AreEqual(0, MakeFifo(path, Convert.ToUInt32("644", 8)), "mkfifo");
            return path;
        },
        null,
        "decode",
        "the file is empty");

    [TestMethod]
    public Task Run_SelfReferencingSymlink_SkippedAtReadAsLinkLoop() => AssertSkippedAsync(
        data =>
        {
            string path = Path.Combine(data.Root, "b", "self.jpg");
            File.CreateSymbolicLink(path, "self.jpg");
            return path;
        },
        null,
        "read",
        "Too many levels of symbolic links");

    [TestMethod]
    public async Task Run_SymlinkLoopsInClassFolder_DiscoveryEndsAndListsEachFileOnce()
    {
        using var data = Dataset();
        using var shared = new TempDataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string nested = data.AddImage("a", "sub/deeper.png", seed: 40);
            string loopToClass = Path.Combine(data.Root, "a", "sub", "up");
            Directory.CreateSymbolicLink(loopToClass, "..");
            string loopToSelf = Path.Combine(data.Root, "a", "here");
            Directory.CreateSymbolicLink(loopToSelf, ".");

            // A link to a folder elsewhere is followed: only loops are cut.
            shared.AddImage("elsewhere", "linked.png", seed: 41);
            string linkedFolder = Path.Combine(data.Root, "a", "linked");
            Directory.CreateSymbolicLink(linkedFolder, Path.Combine(shared.Root, "elsewhere"));
            string linked = Path.Combine(linkedFolder, "linked.png");

            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root).WaitAsync(FaultHarness.Guard);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.IsEmpty(run.Report.Skipped);

            // 3 + 1 good files, the nested one and the linked one: each exactly once.
            Assert.AreEqual(6, run.Report.Discovered, run.Report.ToString());
            string[] paths = [.. run.Batches.Where(b => b.Epoch == 0).SelectMany(b => b.Paths)];
            Assert.HasCount(6, paths);
            Assert.HasCount(6, paths.Distinct());
            CollectionAssert.Contains(paths, nested);
            CollectionAssert.Contains(paths, linked);
            foreach (string loop in new[] { loopToClass, loopToSelf })
            {
                var entry = run.Report.Ignored.SingleOrDefault(i => i.Path == loop);
                Assert.IsNotNull(entry, $"'{loop}' should be listed as ignored; ignored: {string.Join(" | ", run.Report.Ignored)}");
                Assert.Contains("not walked again", entry.Reason);
            }
        });
    }

    [TestMethod]
    public async Task Run_UnicodeSpacesAndVeryLongNames_DecodedWithTheirExactPaths()
    {
        using var data = new TempDataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            // A 200-character file name, and a path of over 1 000 characters through folders of 150.
            string deep = string.Join('/', Enumerable.Range(0, 7).Select(i => new string((char)('k' + i), 150)));
            (string Class, string Name, int Seed)[] files =
            [
                ("chat ünïcødé 猫", "名前 with  two  spaces.png", 51),
                ("chat ünïcødé 猫", " leading and trailing space .png", 52),
                ("Zebra", new string('z', 196) + ".png", 53),
                ("Zebra", deep + "/ф ile.png", 54),
                ("ascii", "plain.png", 55),
            ];
            var paths = files.Select(f => data.AddImage(f.Class, f.Name, seed: f.Seed)).ToArray();
            Assert.IsGreaterThan(1000, paths[3].Length);

            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(epochs: 1), data.Root);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.IsEmpty(run.Report.Skipped);

            // Classes in code-point order: "Zebra" < "ascii" < "chat ünïcødé 猫".
            CollectionAssert.AreEqual(new[] { "Zebra", "ascii", "chat ünïcødé 猫" }, run.Report.ClassNames.ToArray());
            for (int i = 0; i < files.Length; i++)
            {
                SeenBatch batch = run.Batches.Single(b => b.Paths.Contains(paths[i]));
                Assert.AreEqual(run.Report.ClassNames.ToList().IndexOf(files[i].Class), batch.Labels[Array.IndexOf(batch.Paths, paths[i])]);
                using Mat source = TempDataset.Pattern(40, 30, files[i].Seed);
                using Mat expected = Pixels.Expected(source, 16, 12);
                using Mat got = Pixels.FromRow(run.RowOf(paths[i]), 16, 12);
                Assert.AreEqual(0, Pixels.MaxDifference(expected, got), paths[i]);
            }
        });
    }

    private static TempDataset Dataset()
    {
        var data = new TempDataset();
        for (int i = 0; i < 3; i++)
        {
            data.AddImage("a", $"good{i}.png", seed: i + 1);
        }

        data.AddImage("b", "good.png", seed: 9);
        return data;
    }

    /// <summary>A file that exists at discovery and is changed by <paramref name="afterDiscovery"/> before it is read.</summary>
    private static Task AssertSkippedAtReadAsync(Func<TempDataset, string> add, Action<string> afterDiscovery, string reason) =>
        AssertSkippedAsync(add, afterDiscovery, "read", reason);

    private static async Task AssertSkippedAsync(Func<TempDataset, string> add, Action<string>? afterDiscovery, string stage, string reason)
    {
        using var data = Dataset();
        await FaultHarness.WithoutUnobservedExceptionsAsync(data.Root, async () =>
        {
            string path = add(data);
            bool changed = false;
            var source = new ObservedFolderSource(set =>
            {
                // Once, before the first read: the file is already counted in the epoch's plan.
                Assert.IsTrue(set.Samples.Any(s => s.Id == path), $"'{path}' should have been discovered");
                afterDiscovery?.Invoke(path);
                changed = true;
            });
            FaultRun run = await FaultHarness.RunAsync(FaultHarness.Small(), data.Root, b => b.UseSource(source));
            Assert.IsTrue(changed);
            FaultHarness.AssertFinishedAndAccounted(run);
            Assert.HasCount(run.Report.Epochs, run.Report.Skipped, string.Join(" | ", run.Report.Skipped));
            SkippedSample skipped = run.SkippedOnce(path);
            Assert.AreEqual(stage, skipped.Stage, skipped.ToString());
            Assert.Contains(reason, skipped.Reason);
            Assert.AreEqual((long)(run.Report.Selected - 1) * run.Report.Epochs, run.Report.Batched);
        });
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}
