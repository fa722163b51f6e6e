using System.Text.Json;
using Dataflow.Pipeline.Discovery;

namespace Dataflow.Pipeline.Sources;

/// <summary>A category of a COCO file, with its contiguous class index.</summary>
/// <param name="Id">The file's <c>id</c> (sparse: 1 to 90 in COCO 2017).</param>
/// <param name="Index">The class index: the category's position in id order, from 0.</param>
/// <param name="Name">The category's name.</param>
/// <param name="Supercategory">Its <c>supercategory</c>, or null.</param>
/// <param name="KeypointNames">Its keypoints' names, in the annotations' order (empty for a category without keypoints).</param>
/// <param name="Skeleton">Pairs of keypoint indices (from 0: the file's are from 1) drawn as the skeleton.</param>
/// <param name="FlipPairs">Pairs of keypoint indices a horizontal flip swaps: <c>left_X</c> with <c>right_X</c>.</param>
internal sealed record CocoCategory(long Id, int Index, string Name, string? Supercategory, IReadOnlyList<string> KeypointNames,
    IReadOnlyList<(int A, int B)> Skeleton, IReadOnlyList<(int Left, int Right)> FlipPairs);

/// <summary>An image of a COCO file.</summary>
/// <param name="Id">The file's <c>id</c>.</param>
/// <param name="FileName">Its <c>file_name</c>, relative to the image root.</param>
/// <param name="Path">The full path of its file.</param>
/// <param name="Width">Its <c>width</c> in pixels.</param>
/// <param name="Height">Its <c>height</c> in pixels.</param>
/// <param name="FirstAnnotation">Its first annotation in <see cref="CocoDataset.Annotations"/>.</param>
/// <param name="AnnotationCount">Its annotations (0 for a negative).</param>
internal sealed record CocoImage(long Id, string FileName, string Path, int Width, int Height, int FirstAnnotation, int AnnotationCount);

/// <summary>An object annotation of a COCO file, checked against its image and category.</summary>
/// <param name="Id">The file's <c>id</c>.</param>
/// <param name="ImageId">Its image's id.</param>
/// <param name="Class">The class index of its category.</param>
/// <param name="X">Box left, pixels.</param>
/// <param name="Y">Box top, pixels.</param>
/// <param name="Width">Box width, pixels (above 0).</param>
/// <param name="Height">Box height, pixels (above 0).</param>
/// <param name="IsCrowd">The <c>iscrowd</c> flag.</param>
/// <param name="Area">Its <c>area</c> (the mask's pixels), or NaN when absent.</param>
/// <param name="Segmentation">Its mask as written, or null.</param>
/// <param name="Keypoints">(x, y, v) per keypoint of its category, or null.</param>
internal sealed record CocoAnnotation(long Id, long ImageId, int Class, float X, float Y, float Width, float Height, bool IsCrowd, double Area,
    CocoSegmentation? Segmentation, float[]? Keypoints)
{
    /// <inheritdoc />
    public override string ToString() => $"annotation {Id} (image {ImageId})";
}

/// <summary>
/// A COCO instances file, read and checked: the categories with contiguous class indices, the images in id order
/// (those without annotations kept, as negatives) and their annotations.
/// </summary>
/// <remarks>
/// <para>The file is deserialized from a <see cref="FileStream"/> with a source-generated contract: no document of
/// the whole file is built, only the typed entries (polygons as float arrays). Masks are not made here: an
/// annotation keeps its polygons or run-length counts, and <see cref="CocoMasks"/> draws one when it is asked for.</para>
/// <para>Every entry is checked before anything is returned, and every problem found is reported together, each naming
/// the file and the annotation (or image or category) by its id: an annotation of a missing image, an unknown
/// category, a box with a NaN, infinite or negative value or outside its image by more than one pixel, a polygon
/// of odd length or under 3 points, a run-length encoding whose counts do not sum to height × width or whose size
/// is not its image's, keypoints whose count is not the category's or whose <c>num_keypoints</c> is not the number
/// labelled, duplicate ids, a missing field. A box of zero width or height is no object: the annotation is passed
/// over and listed in <see cref="Ignored"/> with its id, never dropped silently.</para>
/// </remarks>
internal sealed class CocoDataset
{
    /// <summary>The most problems named in the message; the rest are counted.</summary>
    private const int ProblemsShown = DatasetProblems.Shown;

    private CocoDataset(string path, string imageRoot, CocoCategory[] categories, CocoImage[] images, CocoAnnotation[] annotations, List<IgnoredEntry> ignored)
    {
        FilePath = path;
        ImageRoot = imageRoot;
        Categories = categories;
        Images = images;
        Annotations = annotations;
        Ignored = ignored;
        ClassNames = [.. categories.Select(c => c.Name)];
    }

    /// <summary>The annotation file's full path.</summary>
    public string FilePath { get; }

    /// <summary>The folder the images' <c>file_name</c> are relative to.</summary>
    public string ImageRoot { get; }

    /// <summary>The categories in id order (their position is their class index).</summary>
    public IReadOnlyList<CocoCategory> Categories { get; }

    /// <summary>The categories' names, by class index.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The images in id order.</summary>
    public IReadOnlyList<CocoImage> Images { get; }

    /// <summary>Every annotation kept, grouped by image in image order, in file order within an image.</summary>
    public IReadOnlyList<CocoAnnotation> Annotations { get; }

    /// <summary>Annotations passed over (a zero-size box), each with its id and the reason.</summary>
    public IReadOnlyList<IgnoredEntry> Ignored { get; }

    /// <summary>The annotations of <paramref name="image"/>.</summary>
    public ArraySegment<CocoAnnotation> AnnotationsOf(CocoImage image) =>
        new((CocoAnnotation[])Annotations, image.FirstAnnotation, image.AnnotationCount);

    /// <summary>Reads and checks the COCO file at <paramref name="path"/>, its images under <paramref name="imageRoot"/>.</summary>
    /// <param name="path">The annotation file.</param>
    /// <param name="imageRoot">The folder the images' <c>file_name</c> are relative to.</param>
    /// <param name="checkFiles">Also require every image's file to exist.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not JSON, or an entry is not valid: the message names the file and each entry.</exception>
    public static async Task<CocoDataset> LoadAsync(string path, string imageRoot, bool checkFiles = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(imageRoot);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"The COCO annotation file '{full}' does not exist.", full);
        }

        CocoFileJson? file;
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                file = await JsonSerializer.DeserializeAsync(stream, CocoJsonContext.Default.CocoFileJson, cancellationToken).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                string where = e.LineNumber is long line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : string.Empty;
                throw new InvalidDataException($"The COCO annotation file '{full}' is not valid COCO JSON{where} ({e.Path}): {FirstSentence(e.Message)}", e);
            }
        }

        if (file is null)
        {
            throw new InvalidDataException($"The COCO annotation file '{full}' holds null, not an object with images, annotations and categories.");
        }

        return Check(full, Path.GetFullPath(imageRoot), file, checkFiles, cancellationToken);
    }

    private static CocoDataset Check(string path, string imageRoot, CocoFileJson file, bool checkFiles, CancellationToken cancellationToken)
    {
        var problems = new DatasetProblems($"COCO file '{path}'");
        if (file.Images is null)
        {
            problems.Add("has no \"images\" list");
        }

        if (file.Categories is null)
        {
            problems.Add("has no \"categories\" list");
        }

        problems.ThrowIfAny();
        CocoCategory[] categories = CheckCategories(file.Categories!, problems);
        var categoryIndex = categories.ToDictionary(c => c.Id, c => c);

        // Images in id order.
        var images = new List<(CocoImageJson Json, int Position)>(file.Images!.Count);
        var imageIds = new Dictionary<long, int>();
        var fileNames = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int i = 0; i < file.Images.Count; i++)
        {
            CocoImageJson? image = file.Images[i];
            string name = image?.Id is long id ? $"image {id}" : $"images[{i}]";
            if (image is null || image.Id is null)
            {
                problems.Add($"{name} has no id");
                continue;
            }

            if (!imageIds.TryAdd(image.Id.Value, -1))
            {
                problems.Add($"{name} appears twice");
                continue;
            }

            if (string.IsNullOrEmpty(image.FileName))
            {
                problems.Add($"{name} has no file_name");
            }
            else if (Path.IsPathRooted(image.FileName))
            {
                problems.Add($"{name} has an absolute file_name '{image.FileName}' (it must be relative to the image root)");
            }
            else if (!fileNames.TryAdd(image.FileName, image.Id.Value))
            {
                problems.Add($"{name} has the file_name '{image.FileName}' of image {fileNames[image.FileName]}");
            }

            if (image.Width is not > 0 || image.Height is not > 0)
            {
                problems.Add($"{name} has width {Show(image.Width)} and height {Show(image.Height)} (both must be above 0)");
            }

            images.Add((image, i));
        }

        problems.ThrowIfAny();
        images.Sort((a, b) => a.Json.Id!.Value.CompareTo(b.Json.Id!.Value));
        for (int i = 0; i < images.Count; i++)
        {
            imageIds[images[i].Json.Id!.Value] = i;
        }

        // Annotations, grouped by image (file order within one).
        var byImage = new List<CocoAnnotation>?[images.Count];
        var ignored = new List<IgnoredEntry>();
        var annotationIds = new HashSet<long>();
        List<CocoAnnotationJson> annotations = file.Annotations ?? [];
        for (int i = 0; i < annotations.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CocoAnnotationJson? a = annotations[i];
            if (a?.Id is not long id)
            {
                problems.Add($"annotations[{i}] has no id");
                continue;
            }

            string name = a.ImageId is long imageId ? $"annotation {id} (image {imageId})" : $"annotation {id}";
            if (!annotationIds.Add(id))
            {
                problems.Add($"{name}: the id appears twice");
                continue;
            }

            if (a.ImageId is null || !imageIds.TryGetValue(a.ImageId.Value, out int imageIndex))
            {
                problems.Add(a.ImageId is null ? $"{name} has no image_id" : $"{name}: no image has the id {a.ImageId}");
                continue;
            }

            CocoImageJson image = images[imageIndex].Json;
            if (a.CategoryId is null || !categoryIndex.TryGetValue(a.CategoryId.Value, out CocoCategory? category))
            {
                problems.Add(a.CategoryId is null ? $"{name} has no category_id" : $"{name}: category_id {a.CategoryId} is not one of the file's categories");
                continue;
            }

            CocoAnnotation? checkedAnnotation = CheckAnnotation(a, name, image, category, problems, ignored);
            if (checkedAnnotation is not null)
            {
                (byImage[imageIndex] ??= []).Add(checkedAnnotation);
            }
        }

        problems.ThrowIfAny();
        var all = new List<CocoAnnotation>(annotations.Count);
        var result = new CocoImage[images.Count];
        var missing = new List<string>();
        for (int i = 0; i < images.Count; i++)
        {
            CocoImageJson image = images[i].Json;
            List<CocoAnnotation>? own = byImage[i];
            string full = Path.GetFullPath(Path.Combine(imageRoot, image.FileName!));
            result[i] = new CocoImage(image.Id!.Value, image.FileName!, full, image.Width!.Value, image.Height!.Value, all.Count, own?.Count ?? 0);
            if (own is not null)
            {
                all.AddRange(own);
            }

            if (checkFiles && !File.Exists(full))
            {
                missing.Add($"image {image.Id}: '{full}'");
            }
        }

        if (missing.Count > 0)
        {
            string more = missing.Count > ProblemsShown ? $"; and {missing.Count - ProblemsShown} more" : string.Empty;
            throw new FileNotFoundException(
                $"COCO file '{path}': {missing.Count} of its {images.Count} image files do not exist under '{imageRoot}': {string.Join("; ", missing.Take(ProblemsShown))}{more}.");
        }

        return new CocoDataset(path, imageRoot, categories, result, [.. all], ignored);
    }

    private static CocoCategory[] CheckCategories(List<CocoCategoryJson> list, DatasetProblems problems)
    {
        var seen = new HashSet<long>();
        var found = new List<(CocoCategoryJson Json, long Id)>();
        for (int i = 0; i < list.Count; i++)
        {
            CocoCategoryJson? c = list[i];
            if (c?.Id is not long id)
            {
                problems.Add($"categories[{i}] has no id");
                continue;
            }

            if (!seen.Add(id))
            {
                problems.Add($"category {id} appears twice");
                continue;
            }

            if (string.IsNullOrEmpty(c.Name))
            {
                problems.Add($"category {id} has no name");
                continue;
            }

            found.Add((c, id));
        }

        if (list.Count == 0)
        {
            problems.Add("has no categories");
        }

        problems.ThrowIfAny();
        found.Sort((a, b) => a.Id.CompareTo(b.Id));
        var categories = new CocoCategory[found.Count];
        for (int index = 0; index < found.Count; index++)
        {
            CocoCategoryJson c = found[index].Json;
            string[] names = c.Keypoints ?? [];
            var skeleton = new List<(int, int)>();
            foreach (int[]? bone in c.Skeleton ?? [])
            {
                if (bone is not { Length: 2 } || bone[0] < 1 || bone[0] > names.Length || bone[1] < 1 || bone[1] > names.Length)
                {
                    problems.Add($"category {c.Id} has a skeleton pair [{string.Join(", ", bone ?? [])}] that is not two keypoint numbers from 1 to {names.Length}");
                    continue;
                }

                skeleton.Add((bone[0] - 1, bone[1] - 1));
            }

            categories[index] = new CocoCategory(found[index].Id, index, c.Name!, c.Supercategory, names, skeleton, FlipPairs(names));
        }

        problems.ThrowIfAny();
        return categories;
    }

    /// <summary>The keypoints a horizontal flip swaps: each <c>left_X</c> with the <c>right_X</c> of the same X (COCO's own naming).</summary>
    internal static IReadOnlyList<(int Left, int Right)> FlipPairs(IReadOnlyList<string> names)
    {
        var pairs = new List<(int, int)>();
        for (int left = 0; left < names.Count; left++)
        {
            if (!names[left].StartsWith("left_", StringComparison.Ordinal))
            {
                continue;
            }

            string partner = "right_" + names[left]["left_".Length..];
            for (int right = 0; right < names.Count; right++)
            {
                if (string.Equals(names[right], partner, StringComparison.Ordinal))
                {
                    pairs.Add((left, right));
                    break;
                }
            }
        }

        return pairs;
    }

    private static CocoAnnotation? CheckAnnotation(CocoAnnotationJson a, string name, CocoImageJson image, CocoCategory category, DatasetProblems problems, List<IgnoredEntry> ignored)
    {
        int count = problems.Count;
        int width = image.Width!.Value, height = image.Height!.Value;
        if (a.Bbox is not { Length: 4 } box)
        {
            problems.Add(a.Bbox is null ? $"{name} has no bbox" : $"{name}: bbox has {a.Bbox.Length} numbers, not 4 ([x, y, width, height])");
            return null;
        }

        string written = $"[{string.Join(", ", box.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)))}]";
        if (box.Any(v => !float.IsFinite(v)))
        {
            problems.Add($"{name}: bbox {written} holds a value that is not a finite number");
            return null;
        }

        if (box[2] < 0 || box[3] < 0)
        {
            problems.Add($"{name}: bbox {written} has a negative width or height");
            return null;
        }

        // COCO's own boxes reach a fraction of a pixel past the image: one pixel of slack.
        if (box[0] < -1 || box[1] < -1 || box[0] + box[2] > width + 1 || box[1] + box[3] > height + 1)
        {
            problems.Add($"{name}: bbox {written} lies outside its {width}x{height} image");
            return null;
        }

        if (a.Area is double area && (!double.IsFinite(area) || area < 0))
        {
            problems.Add($"{name}: area {area} is not a finite number from 0");
        }

        if (a.IsCrowd is not (0 or 1))
        {
            problems.Add($"{name}: iscrowd is {a.IsCrowd}, not 0 or 1");
        }

        CheckSegmentation(a.Segmentation, name, width, height, problems);
        CheckKeypoints(a, name, category, problems);
        if (problems.Count != count)
        {
            return null;
        }

        if (box[2] == 0 || box[3] == 0)
        {
            ignored.Add(new IgnoredEntry(image.FileName!, $"{name}: bbox {written} has zero width or height: no object, passed over"));
            return null;
        }

        return new CocoAnnotation(a.Id!.Value, a.ImageId!.Value, category.Index, box[0], box[1], box[2], box[3], a.IsCrowd == 1, a.Area ?? double.NaN,
            a.Segmentation, a.Keypoints);
    }

    private static void CheckSegmentation(CocoSegmentation? segmentation, string name, int width, int height, DatasetProblems problems)
    {
        if (segmentation is null)
        {
            return;
        }

        if (segmentation.Problem is not null)
        {
            problems.Add($"{name}: {segmentation.Problem}");
            return;
        }

        if (segmentation.Polygons is float[][] polygons)
        {
            for (int p = 0; p < polygons.Length; p++)
            {
                float[] points = polygons[p];
                if (points.Length % 2 != 0 || points.Length < 6)
                {
                    problems.Add($"{name}: segmentation polygon {p + 1} has {points.Length} numbers (it must be x, y pairs of at least 3 points: an even count from 6)");
                }
                else if (points.Any(v => !float.IsFinite(v)))
                {
                    problems.Add($"{name}: segmentation polygon {p + 1} holds a value that is not a finite number");
                }
            }

            return;
        }

        int[] size = segmentation.Size!;
        if (size[0] != height || size[1] != width)
        {
            problems.Add($"{name}: RLE size [{size[0]}, {size[1]}] is not its image's [height, width] [{height}, {width}]");
            return;
        }

        uint[] counts;
        if (segmentation.Counts is not null)
        {
            counts = segmentation.Counts;
        }
        else
        {
            try
            {
                counts = CocoRle.Decode(segmentation.CompressedCounts!);
            }
            catch (FormatException e)
            {
                problems.Add($"{name}: RLE counts are not a COCO compressed string: {e.Message}");
                return;
            }
        }

        long sum = CocoRle.Sum(counts);
        if (sum != (long)height * width)
        {
            problems.Add($"{name}: RLE counts sum to {sum}, not height x width = {height} x {width} = {(long)height * width}");
        }
    }

    private static void CheckKeypoints(CocoAnnotationJson a, string name, CocoCategory category, DatasetProblems problems)
    {
        if (a.Keypoints is not float[] keypoints)
        {
            if (a.NumKeypoints is > 0)
            {
                problems.Add($"{name}: num_keypoints is {a.NumKeypoints} but it has no keypoints");
            }

            return;
        }

        int expected = 3 * category.KeypointNames.Count;
        if (keypoints.Length != expected)
        {
            problems.Add($"{name}: keypoints hold {keypoints.Length} numbers; category {category.Id} ('{category.Name}') has {category.KeypointNames.Count} keypoints, {expected} numbers (x, y, v each)");
            return;
        }

        int labelled = 0;
        for (int k = 0; k < keypoints.Length; k += 3)
        {
            float v = keypoints[k + 2];
            if (!float.IsFinite(keypoints[k]) || !float.IsFinite(keypoints[k + 1]) || v is not (0 or 1 or 2))
            {
                problems.Add($"{name}: keypoint {k / 3 + 1} ('{category.KeypointNames[k / 3]}') is [{keypoints[k]}, {keypoints[k + 1]}, {v}] (x and y finite, v 0, 1 or 2)");
                return;
            }

            labelled += v > 0 ? 1 : 0;
        }

        if (a.NumKeypoints is int num && num != labelled)
        {
            problems.Add($"{name}: num_keypoints is {num} but {labelled} keypoints are labelled (v 1 or 2)");
        }
    }

    private static string Show(int? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing";

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
