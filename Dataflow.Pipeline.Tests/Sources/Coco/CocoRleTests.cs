using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dataflow.Pipeline.Sources;

namespace Dataflow.Pipeline.Tests.Sources.Coco;

/// <summary>
/// Our COCO run-length codec against an independent one: <c>coco_rle.py</c>, written from pycocotools' published
/// algorithm (<c>maskApi.c</c>) with Python's standard library only, encodes the same random masks and decodes our strings.
/// </summary>
[TestClass]
public sealed class CocoRleTests
{
    [TestMethod]
    public void EncodeAndDecode_RandomMasks_AgreeWithTheIndependentPythonCodec()
    {
        List<(int Height, int Width, byte[] ColumnMajor)> masks = RandomMasks(seed: 2024);
        var ours = masks.Select(m => CocoRle.EncodeMask(m.ColumnMajor)).ToList();
        var strings = ours.Select(c => CocoRle.Encode(c)).ToList();

        JsonNode reply = RunPython(masks, strings);

        for (int i = 0; i < masks.Count; i++)
        {
            string what = $"mask {i} ({masks[i].Height}x{masks[i].Width})";
            uint[] theirCounts = [.. reply["counts"]![i]!.AsArray().Select(n => n!.GetValue<uint>())];
            CollectionAssert.AreEqual(theirCounts, ours[i], $"{what}: counts");
            Assert.AreEqual(reply["encoded"]![i]!.GetValue<string>(), strings[i], $"{what}: compressed string");
            // Their decoding of our string is the mask, and ours of their string its counts.
            Assert.AreEqual(Bits(masks[i].ColumnMajor), reply["decoded"]![i]!.GetValue<string>(), $"{what}: their decoding of our string");
            CollectionAssert.AreEqual(theirCounts, CocoRle.Decode(reply["encoded"]![i]!.GetValue<string>()), $"{what}: our decoding of their string");
            var decoded = new byte[masks[i].ColumnMajor.Length];
            CocoRle.DecodeMask(CocoRle.Decode(strings[i]), decoded);
            CollectionAssert.AreEqual(masks[i].ColumnMajor, decoded, $"{what}: our round trip");
        }
    }

    [TestMethod]
    public void Decode_CharacterOutsideTheCodec_ThrowsNamingIt()
    {
        var e = Assert.ThrowsExactly<FormatException>(() => CocoRle.Decode("01!"));
        Assert.AreEqual("character '!' at 2 is not one of the codec's ('0' to 'o')", e.Message);
    }

    [TestMethod]
    public void Decode_StringEndingInsideACount_Throws()
    {
        // '0' + 0x20 ('P') says another group follows.
        var e = Assert.ThrowsExactly<FormatException>(() => CocoRle.Decode("0P"));
        Assert.AreEqual("the string ends inside count 2", e.Message);
    }

    [TestMethod]
    public void DecodeMask_CountsNotCoveringTheMask_Throws()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => CocoRle.DecodeMask([2, 3], new byte[6]));
        StringAssert.StartsWith(e.Message, "RLE counts sum to 5, the mask has 6 pixels.");
    }

    /// <summary>Masks of every kind the codec meets: empty, full, starting with a 1, blobs, noise, and runs longer than 2^20.</summary>
    private static List<(int, int, byte[])> RandomMasks(int seed)
    {
        var random = new Random(seed);
        var masks = new List<(int, int, byte[])>
        {
            (1, 1, [0]),
            (1, 1, [1]),
            (3, 4, new byte[12]),
            (3, 4, [.. Enumerable.Repeat((byte)1, 12)]),
            (2, 3, [1, 1, 0, 0, 1, 0]),
            // One long run of each, then a short one: differences to the count two before of both signs and every length.
            (1100, 1000, Runs(1100 * 1000, [5, 1_048_600, 3, 40_000])),
        };
        for (int m = 0; m < 60; m++)
        {
            int height = random.Next(1, 80), width = random.Next(1, 80);
            var mask = new byte[height * width];
            int kind = m % 3;
            if (kind == 0)
            {
                // Noise of a random density.
                double p = random.NextDouble();
                for (int i = 0; i < mask.Length; i++)
                {
                    mask[i] = random.NextDouble() < p ? (byte)1 : (byte)0;
                }
            }
            else
            {
                // Rectangles (column-major: runs down the columns).
                for (int r = 0; r < random.Next(1, 6); r++)
                {
                    int x0 = random.Next(width), y0 = random.Next(height);
                    int x1 = random.Next(x0, width), y1 = random.Next(y0, height);
                    for (int x = x0; x <= x1; x++)
                    {
                        for (int y = y0; y <= y1; y++)
                        {
                            mask[x * height + y] = 1;
                        }
                    }
                }
            }

            masks.Add((height, width, mask));
        }

        return masks;
    }

    private static byte[] Runs(int length, int[] runs)
    {
        var mask = new byte[length];
        int position = 0;
        for (int i = 0; i < runs.Length && position < length; i++)
        {
            int end = Math.Min(length, position + runs[i]);
            mask.AsSpan(position, end - position).Fill((byte)(i % 2));
            position = end;
        }

        mask.AsSpan(position).Fill((byte)(runs.Length % 2));
        return mask;
    }

    private static string Bits(byte[] mask) => string.Create(mask.Length, mask, static (span, m) =>
    {
        for (int i = 0; i < m.Length; i++)
        {
            span[i] = m[i] == 0 ? '0' : '1';
        }
    });

    private static JsonNode RunPython(List<(int Height, int Width, byte[] ColumnMajor)> masks, List<string> strings)
    {
        var request = new JsonObject
        {
            ["masks"] = new JsonArray([.. masks.Select(m => (JsonNode)new JsonObject { ["h"] = m.Height, ["w"] = m.Width, ["bits"] = Bits(m.ColumnMajor) })]),
            ["strings"] = new JsonArray([.. strings.Select(s => (JsonNode)JsonValue.Create(s))]),
        };
        string script = Path.Combine(AppContext.BaseDirectory, "Sources", "Coco", "coco_rle.py");
        var start = new ProcessStartInfo("python3", [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new AssertFailedException($"python3 is needed to cross-check the COCO codec (no pycocotools needed): apt-get install python3 ({e.Message})");
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(request.ToJsonString());
            process.StandardInput.Close();
            Assert.IsTrue(process.WaitForExit(120_000), "coco_rle.py did not end within 2 minutes");
            Assert.AreEqual(0, process.ExitCode, $"coco_rle.py failed: {error.Result}");
            return JsonNode.Parse(output.Result)!;
        }
    }
}
