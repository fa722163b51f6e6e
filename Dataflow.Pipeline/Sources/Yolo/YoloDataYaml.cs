using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// What an Ultralytics <c>data.yaml</c> says: the dataset root (<c>path</c>), each split's image folders or lists
/// (<c>train</c>, <c>val</c>, <c>test</c>), the class names (<c>names</c>, a list or a map from 0), and for pose datasets
/// <c>kpt_shape</c> and <c>flip_idx</c>.
/// </summary>
internal sealed record YoloDataYaml(string FilePath, string Root, IReadOnlyDictionary<string, IReadOnlyList<string>> Splits,
    IReadOnlyList<string> Names, int KeypointCount, int KeypointDims, IReadOnlyList<int>? FlipIndex)
{
    /// <summary>Reads and checks <paramref name="file"/>; every problem is thrown together, naming the file and the key.</summary>
    /// <exception cref="InvalidDataException">The file is not YAML, or a key is missing or malformed.</exception>
    public static YoloDataYaml Load(string file)
    {
        var problems = new DatasetProblems($"YOLO data file '{file}'");
        YamlMappingNode map;
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                stream.Load(reader);
            }

            map = stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode m
                ? m
                : throw new InvalidDataException($"YOLO data file '{file}' is not one YAML mapping (keys such as names, train, val).");
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"YOLO data file '{file}' is not valid YAML: line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        string root = Scalar(map, "path") is string path && path.Length > 0 ? Path.GetFullPath(Path.Combine(folder, path)) : folder;
        var splits = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (string split in (string[])["train", "val", "test"])
        {
            switch (Node(map, split))
            {
                case null:
                    break;
                case YamlScalarNode { Value: { Length: > 0 } value }:
                    splits[split] = [Path.GetFullPath(Path.Combine(root, value))];
                    break;
                case YamlScalarNode:
                    break;
                case YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }):
                    splits[split] = [.. list.Children.Select(c => Path.GetFullPath(Path.Combine(root, ((YamlScalarNode)c).Value!)))];
                    break;
                default:
                    problems.Add($"'{split}' is neither a path nor a list of paths");
                    break;
            }
        }

        IReadOnlyList<string> names = ReadNames(map, problems);
        if (Scalar(map, "nc") is string nc && (!int.TryParse(nc, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != names.Count))
        {
            problems.Add($"nc is {nc} but names holds {names.Count} classes");
        }

        (int keypoints, int dims) = (0, 0);
        if (Node(map, "kpt_shape") is YamlNode shape)
        {
            if (shape is YamlSequenceNode { Children.Count: 2 } pair && Int(pair.Children[0]) is int k and > 0 && Int(pair.Children[1]) is int d and (2 or 3))
            {
                (keypoints, dims) = (k, d);
            }
            else
            {
                problems.Add("kpt_shape is not [keypoints, 2 or 3] (as [17, 3])");
            }
        }

        List<int>? flip = null;
        if (Node(map, "flip_idx") is YamlNode flipNode)
        {
            flip = flipNode is YamlSequenceNode flips ? [.. flips.Children.Select(c => Int(c) ?? -1)] : [];
            if (flip.Count != keypoints || flip.Any(i => i < 0 || i >= keypoints) || flip.Select((to, from) => flip[to] == from).Contains(false))
            {
                problems.Add($"flip_idx must list, for each of the {keypoints} keypoints of kpt_shape, the keypoint it becomes when mirrored (each pair both ways)");
            }
        }

        problems.ThrowIfAny();
        return new YoloDataYaml(Path.GetFullPath(file), root, splits, names, keypoints, dims, flip);
    }

    private static IReadOnlyList<string> ReadNames(YamlMappingNode map, DatasetProblems problems)
    {
        switch (Node(map, "names"))
        {
            case YamlSequenceNode list when list.Children.Count > 0 && list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }):
                return [.. list.Children.Select(c => ((YamlScalarNode)c).Value!)];
            case YamlMappingNode byId when byId.Children.Count > 0:
                var names = new string[byId.Children.Count];
                foreach ((YamlNode key, YamlNode value) in byId.Children)
                {
                    if (Int(key) is not int id || id < 0 || id >= names.Length || value is not YamlScalarNode { Value.Length: > 0 } name || names[id] is not null)
                    {
                        problems.Add($"names maps '{key}' to '{value}'; a map of names has the ids 0 to {names.Length - 1}, each once, to a name");
                        return [];
                    }

                    names[id] = name.Value!;
                }

                return names;
            case null:
                problems.Add("has no 'names' (the class names, a list or a map from 0)");
                return [];
            default:
                problems.Add("'names' is neither a list of names nor a map from class id to name");
                return [];
        }
    }

    private static YamlNode? Node(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? node) && !(node is YamlScalarNode { Value: null or "null" or "~" }) ? node : null;

    private static string? Scalar(YamlMappingNode map, string key) => Node(map, key) is YamlScalarNode { Value: string value } ? value : null;

    private static int? Int(YamlNode node) =>
        node is YamlScalarNode { Value: string text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : null;
}
