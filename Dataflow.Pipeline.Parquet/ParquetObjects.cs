using System.Globalization;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Dataflow.Pipeline.Targets;
using ParquetSharp;

namespace Dataflow.Pipeline.Sources;

/// <summary>
/// The Hugging Face detection column (<c>objects</c>) of a Parquet file, read through Arrow (ParquetSharp.Arrow): its
/// <c>bbox</c> and <c>category</c> lists (and <c>id</c>, <c>iscrowd</c> where present) become each row's
/// <see cref="BoundingBoxes"/>. Both layouts <c>datasets</c> writes are read: a struct of lists (a <c>Sequence</c> of a dict)
/// and a list of structs; a <c>bbox</c> is a list or a fixed-size list of four numbers.
/// </summary>
internal static class ParquetObjects
{
    /// <summary>The leaf columns under <paramref name="column"/> (its path followed by a dot); empty when the file has no such column.</summary>
    public static int[] Leaves(SchemaDescriptor schema, string column) =>
        [.. Enumerable.Range(0, schema.NumColumns).Where(i => schema.Column(i).Path.ToDotString().StartsWith(column + ".", StringComparison.Ordinal))];

    /// <summary>
    /// The boxes of each row of row group <paramref name="group"/>: one <see cref="BoundingBoxes"/> per row, empty for a row
    /// whose objects are null or have no box.
    /// </summary>
    /// <exception cref="InvalidDataException">The column is not laid out as a detection column, or an object's box or
    /// category is missing, null, not finite, of the wrong length or negative; the message names the file, the row and the object.</exception>
    public static BoundingBoxes[] Read(ParquetSharp.Arrow.FileReader reader, int group, int[] leaves, string column, string file, long firstRow, BoxFormat format, int rows)
    {
        var boxes = new BoundingBoxes[rows];
        int row = 0;
        using IArrowArrayStream stream = reader.GetRecordBatchReader([group], leaves);
        // Arrow's C++ reader is synchronous (the ValueTask completes in the call); discovery of the footers is synchronous too.
        while (stream.ReadNextRecordBatchAsync().AsTask().GetAwaiter().GetResult() is RecordBatch batch)
        {
            using (batch)
            {
                IArrowArray objects = batch.Column(column);
                for (int i = 0; i < batch.Length; i++, row++)
                {
                    if (row >= rows)
                    {
                        throw new InvalidDataException($"The Parquet file '{file}' row group {group} has more rows in its column '{column}' than its {rows} rows.");
                    }

                    boxes[row] = objects.IsNull(i) ? BoundingBoxes.Empty : OfRow(objects, i, column, $"The Parquet file '{file}' row {firstRow + row}", format);
                }
            }
        }

        if (row != rows)
        {
            throw new InvalidDataException($"The Parquet file '{file}' row group {group} has {row} values in its column '{column}' for its {rows} rows.");
        }

        return boxes;
    }

    /// <summary>The <c>ClassLabel</c> names of the objects' <c>category</c> in the <c>huggingface</c> metadata's features, or null.</summary>
    public static IReadOnlyList<string>? ClassNames(JsonElement features, string column, string file)
    {
        if (!features.TryGetProperty(column, out JsonElement node))
        {
            return null;
        }

        // Sequence({...}) is {"feature": {...}, "_type": "Sequence"}; a list of dicts [{...}] or {"feature": {...}, "_type": "List"}.
        for (int depth = 0; depth < 4 && !Has(node, "category"); depth++)
        {
            node = node.ValueKind == JsonValueKind.Array && node.GetArrayLength() == 1 ? node[0] : Has(node, "feature") ? node.GetProperty("feature") : default;
        }

        if (!Has(node, "category"))
        {
            return null;
        }

        JsonElement category = node.GetProperty("category");
        for (int depth = 0; depth < 4; depth++)
        {
            if (category.ValueKind == JsonValueKind.Array && category.GetArrayLength() == 1)
            {
                category = category[0];
            }
            else if (Has(category, "_type") && category.GetProperty("_type").GetString() == "ClassLabel")
            {
                if (!category.TryGetProperty("names", out JsonElement names) || names.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                var list = new List<string>(names.GetArrayLength());
                foreach (JsonElement name in names.EnumerateArray())
                {
                    list.Add(name.ValueKind == JsonValueKind.String ? name.GetString()! : throw new InvalidDataException($"The Parquet file '{file}' lists a class name of '{column}.category' that is not a string ({name.GetRawText()}) in its huggingface metadata."));
                }

                return list.Count > 0 ? list : null;
            }
            else if (Has(category, "feature"))
            {
                category = category.GetProperty("feature");
            }
            else
            {
                return null;
            }
        }

        return null;
    }

    private static bool Has(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out _);

    /// <summary>One row's objects: where its bbox, category, id and iscrowd values lie, whichever layout the column has.</summary>
    private static BoundingBoxes OfRow(IArrowArray objects, int index, string column, string where, BoxFormat format)
    {
        // Each field as (array, where this row's first object is in it); object k is at start + k.
        (IArrowArray Array, int Start) bbox, category;
        (IArrowArray Array, int Start)? id = null, crowd = null;
        int count;
        switch (objects)
        {
            case StructArray fields:
                // A struct of lists: each field is a list per row, all of one length.
                bbox = (ListOf(Field(fields, "bbox", column, where), index, out int bboxStart, out count, $"{column}.bbox", where), bboxStart);
                category = (ListOf(Field(fields, "category", column, where), index, out int categoryStart, out int categories, $"{column}.category", where), categoryStart);
                if (categories != count)
                {
                    throw new InvalidDataException($"{where} has {count} boxes ({column}.bbox) and {categories} categories ({column}.category): one category per box.");
                }

                id = PerBox(FieldOrNull(fields, "id"), index, count, $"{column}.id", where);
                crowd = PerBox(FieldOrNull(fields, "iscrowd"), index, count, $"{column}.iscrowd", where);
                break;
            case ListArray list when list.Values is StructArray items:
                // A list of structs: each object one struct.
                int start = list.ValueOffsets[index];
                count = list.ValueOffsets[index + 1] - start;
                bbox = (Field(items, "bbox", column, where), start);
                category = (Field(items, "category", column, where), start);
                id = FieldOrNull(items, "id") is IArrowArray idValues ? (idValues, start) : null;
                crowd = FieldOrNull(items, "iscrowd") is IArrowArray flags ? (flags, start) : null;
                break;
            default:
                throw new InvalidDataException($"{where}: the column '{column}' is a {objects.Data.DataType.Name}, not a struct of lists {{bbox, category}} or a list of structs (the Hugging Face detection layout).");
        }

        var coordinates = new float[4 * count];
        var classes = new int[count];
        int[]? ids = id is null ? null : new int[count];
        int[]? crowds = crowd is null ? null : new int[count];
        for (int k = 0; k < count; k++)
        {
            string obj = $"{where} object {k}";
            IArrowArray four = ListOf(bbox.Array, bbox.Start + k, out int at, out int length, $"{column}.bbox", obj);
            if (length != 4)
            {
                throw new InvalidDataException($"{obj} has a bbox of {length} numbers; a box has 4 ({format}).");
            }

            for (int c = 0; c < 4; c++)
            {
                double? value = Number(four, at + c);
                if (value is not double v || !double.IsFinite(v))
                {
                    throw new InvalidDataException($"{obj} has bbox [{string.Join(", ", Enumerable.Range(0, 4).Select(j => Number(four, at + j)?.ToString(CultureInfo.InvariantCulture) ?? "null"))}]: every number must be finite.");
                }

                coordinates[4 * k + c] = (float)v;
            }

            (float w, float h) = format.Extent(coordinates.AsSpan(4 * k, 4));
            if (w < 0 || h < 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{obj} has bbox [{coordinates[4 * k]}, {coordinates[4 * k + 1]}, {coordinates[4 * k + 2]}, {coordinates[4 * k + 3]}] with a negative width or height ({format}, ParquetSourceOptions.ObjectsBoxFormat)."));
            }

            classes[k] = Integer(category.Array, category.Start + k, $"{column}.category", obj, min: 0);
            if (ids is not null && id is { } idField)
            {
                ids[k] = Integer(idField.Array, idField.Start + k, $"{column}.id", obj, min: int.MinValue);
            }

            if (crowds is not null && crowd is { } crowdField)
            {
                crowds[k] = Integer(crowdField.Array, crowdField.Start + k, $"{column}.iscrowd", obj, min: 0);
                if (crowds[k] > 1)
                {
                    throw new InvalidDataException($"{obj} has iscrowd {crowds[k]}, not 0 or 1.");
                }
            }
        }

        var extra = new Dictionary<string, int[]>(StringComparer.Ordinal);
        if (ids is not null)
        {
            extra["id"] = ids;
        }

        if (crowds is not null)
        {
            extra["iscrowd"] = crowds;
        }

        return count == 0 && extra.Count == 0 ? BoundingBoxes.Empty : new BoundingBoxes(coordinates, classes, format, extra);
    }

    private static IArrowArray Field(StructArray array, string name, string column, string where) =>
        FieldOrNull(array, name) ?? throw new InvalidDataException($"{where}: the column '{column}' has no field '{name}'; its fields: {string.Join(", ", ((Apache.Arrow.Types.StructType)array.Data.DataType).Fields.Select(f => f.Name))}.");

    private static IArrowArray? FieldOrNull(StructArray array, string name)
    {
        int i = ((Apache.Arrow.Types.StructType)array.Data.DataType).GetFieldIndex(name);
        return i < 0 ? null : array.Fields[i];
    }

    /// <summary>A struct-of-lists field of one value per box: its values and this row's start, or null when the column has no such field.</summary>
    private static (IArrowArray Array, int Start)? PerBox(IArrowArray? array, int index, int count, string field, string where)
    {
        if (array is null)
        {
            return null;
        }

        IArrowArray values = ListOf(array, index, out int start, out int length, field, where);
        return length == count ? (values, start) : throw new InvalidDataException($"{where} has {count} boxes and {length} values of {field}: one per box.");
    }

    /// <summary>Element <paramref name="index"/> of a list array: its values array, where the element starts in it and its length.</summary>
    private static IArrowArray ListOf(IArrowArray array, int index, out int start, out int length, string field, string where)
    {
        if (array.IsNull(index))
        {
            throw new InvalidDataException($"{where} has a null {field}.");
        }

        switch (array)
        {
            case ListArray list:
                start = list.ValueOffsets[index];
                length = list.ValueOffsets[index + 1] - start;
                return list.Values;
            case FixedSizeListArray fixedList:
                length = ((Apache.Arrow.Types.FixedSizeListType)fixedList.Data.DataType).ListSize;
                start = (fixedList.Offset + index) * length;
                return fixedList.Values;
            default:
                throw new InvalidDataException($"{where}: {field} is a {array.Data.DataType.Name}, not a list.");
        }
    }

    private static int Integer(IArrowArray array, int index, string field, string where, int min)
    {
        double? value = Number(array, index);
        if (value is not double v || v != Math.Floor(v) || v < min || v > int.MaxValue)
        {
            throw new InvalidDataException($"{where} has {field} {(value?.ToString(CultureInfo.InvariantCulture) ?? "null")}: {(min == 0 ? "not an index (an integer from 0)" : "not a 32-bit integer")}.");
        }

        return (int)v;
    }

    /// <summary>The number at <paramref name="index"/> of a numeric (or boolean) array, or null for a null value.</summary>
    private static double? Number(IArrowArray array, int index) => array switch
    {
        FloatArray a => a.GetValue(index),
        DoubleArray a => a.GetValue(index),
        HalfFloatArray a => a.GetValue(index) is Half h ? (double)h : null,
        Int64Array a => a.GetValue(index),
        Int32Array a => a.GetValue(index),
        Int16Array a => a.GetValue(index),
        Int8Array a => a.GetValue(index),
        UInt64Array a => a.GetValue(index),
        UInt32Array a => a.GetValue(index),
        UInt16Array a => a.GetValue(index),
        UInt8Array a => a.GetValue(index),
        BooleanArray a => a.GetValue(index) is bool b ? (b ? 1 : 0) : null,
        _ => throw new InvalidDataException($"A value of type {array.Data.DataType.Name} is not a number."),
    };
}
