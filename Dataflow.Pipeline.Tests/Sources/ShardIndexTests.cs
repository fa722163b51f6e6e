using System.Text;
using System.Text.Json;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Sources;

[TestClass]
public sealed class ShardIndexTests
{
    [TestMethod]
    public void SaveThenLoad_EveryFieldRoundTrips()
    {
        var index = new ShardIndex
        {
            Classes = ["cat", "dog"],
            Shards =
            [
                new ShardIndexEntry("shard-000000.tar", 2, 10240, "ab01", [new ShardMemberEntry("cat/1", "jpg", 0, 512, 1234), new ShardMemberEntry("dog/7", "png", 1, 2560, 99)]),
                new ShardIndexEntry("shard-000001.tar", 5, 20480, "cd02", null),
            ],
        };
        using var stream = new MemoryStream();
        index.Save(stream);
        stream.Position = 0;

        ShardIndex read = ShardIndex.Load(stream, "index.json");

        Assert.AreEqual(ShardIndex.FormatName, read.Format);
        Assert.AreEqual(ShardIndex.CurrentVersion, read.Version);
        CollectionAssert.AreEqual(new[] { "cat", "dog" }, read.Classes.ToArray());
        Assert.HasCount(2, read.Shards);
        Assert.AreEqual(("shard-000000.tar", 2, 10240L, "ab01"), (read.Shards[0].Name, read.Shards[0].Samples, read.Shards[0].Bytes, read.Shards[0].Sha256));
        CollectionAssert.AreEqual(index.Shards[0].Members!.ToArray(), read.Shards[0].Members!.ToArray());
        Assert.AreEqual(("shard-000001.tar", 5, 20480L, "cd02"), (read.Shards[1].Name, read.Shards[1].Samples, read.Shards[1].Bytes, read.Shards[1].Sha256));
        Assert.IsNull(read.Shards[1].Members, "a shard listed without members is scanned");
    }

    [TestMethod]
    public void Load_UnknownPropertiesAnywhere_PassedOver()
    {
        const string json = """
            {"note":{"a":[1]},"format":"dataflow-pipeline/shards","version":1,"classes":["cat"],
             "shards":[{"extra":[1,2],"name":"a.tar","samples":1,"bytes":1024,"sha256":"ff",
                        "members":[{"key":"k","image":"jpg","label":0,"offset":512,"length":3,"more":{"x":1}}]}]}
            """;

        ShardIndex index = Parse(json);

        Assert.AreEqual(new ShardMemberEntry("k", "jpg", 0, 512, 3), index.Shards.Single().Members!.Single());
    }

    [TestMethod]
    [DataRow("""{"format":"other","version":1}""", "The file 'index.json' is not a shard index (format \"other\", expected \"dataflow-pipeline/shards\").")]
    [DataRow("""[1,2]""", "The file 'index.json' is not a shard index (format \"\", expected \"dataflow-pipeline/shards\").")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":2}""", "The shard index 'index.json' has format version 2; this library reads version 1.")]
    public void Load_NotAShardIndex_RefusedNamingTheFile(string json, string message)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(json));
        Assert.AreEqual(message, e.Message);
    }

    [TestMethod]
    public void Load_ValueOfTheWrongKind_RefusedNamingTheFile()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse("""{"format":"dataflow-pipeline/shards","version":1,"shards":[{"name":"a.tar","samples":"many"}]}"""));
        StringAssert.StartsWith(e.Message, "The shard index 'index.json' holds a value of the wrong kind: ");
    }

    [TestMethod]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"shards":[{"name":"a.tar","samples":"many"}]}""", "$.samples")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"shards":[{"name":"a.tar","bytes":1.5}]}""", "$.bytes")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":"1"}""", "$.version")]
    public void Load_ValueOfTheWrongKind_RefusedNamingTheField(string json, string field)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(json));
        StringAssert.StartsWith(e.Message, "The shard index 'index.json' holds a value of the wrong kind: ");
        Assert.Contains($"Path: {field} ", e.Message);
    }

    [TestMethod]
    public void Load_NotJson_RefusedNamingTheFile()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse("""{"format":"dataflow-pipeline/shards","version":1,"classes":["a",]}"""));
        StringAssert.StartsWith(e.Message, "The shard index 'index.json' is not valid JSON: ");
        Assert.IsInstanceOfType<JsonException>(e.InnerException);
    }

    [TestMethod]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1} x""", DisplayName = "text after the index")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1} {}""", DisplayName = "a second value")]
    [DataRow("""[1,2""", DisplayName = "an unfinished array at the root")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"shards":[{"name":"a.tar","members":[{"key":"k"}""", DisplayName = "cut off in a member")]
    [DataRow("", DisplayName = "empty")]
    public void Load_MalformedAnywhere_RefusedAsNotJson(string json)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(json));
        StringAssert.StartsWith(e.Message, "The shard index 'index.json' is not valid JSON: ");
    }

    [TestMethod]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"shards":[7]}""", DisplayName = "a shard that is a number")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"shards":[{"name":"a.tar","members":["k"]}]}""", DisplayName = "a member that is a string")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1,"classes":[null]}""", DisplayName = "a null class name")]
    [DataRow("""{"format":"dataflow-pipeline/shards","version":1.5}""", DisplayName = "a fractional version")]
    public void Load_StructureOfTheWrongKind_RefusedNamingTheFile(string json)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse(json));
        StringAssert.StartsWith(e.Message, "The shard index 'index.json' holds a value of the wrong kind: ");
    }

    [TestMethod]
    [DataRow("\"a.tar\"", "a string")]
    [DataRow("{\"name\":\"a.tar\"}", "an object")]
    [DataRow("null", "null")]
    [DataRow("3", "a number")]
    public void Load_ShardsNotAnArray_RefusedNamingTheFieldAndWhatItIs(string value, string kind)
    {
        // It used to be read as an index of no shards.
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse($$"""{"format":"dataflow-pipeline/shards","version":1,"classes":["a"],"shards":{{value}}}"""));
        Assert.AreEqual($"The shard index 'index.json' holds a value of the wrong kind: \"shards\" is {kind}, not an array", e.Message);
    }

    [TestMethod]
    public void Load_ShardThatIsNotAnObject_RefusedSayingWhatItIs()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Parse("""{"format":"dataflow-pipeline/shards","version":1,"shards":[7]}"""));
        Assert.AreEqual("The shard index 'index.json' holds a value of the wrong kind: a shard is a number, not an object", e.Message);
    }

    [TestMethod]
    public void Load_ByteOrderMarkAndMembersNotAnArray_ReadWithTheShardLeftToScan()
    {
        const string json = """
            {"format":"dataflow-pipeline/shards","version":1,"classes":"not a list",
             "shards":[{"name":"a.tar","samples":2,"bytes":2048,"sha256":"ff","members":{"k":1}}]}
            """;
        using var stream = new MemoryStream([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(json)]);

        ShardIndex index = ShardIndex.Load(stream, "index.json");

        Assert.IsEmpty(index.Classes);
        Assert.AreEqual(new ShardIndexEntry("a.tar", 2, 2048, "ff", null), index.Shards.Single());
    }

    private static ShardIndex Parse(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return ShardIndex.Load(stream, "index.json");
    }
}
