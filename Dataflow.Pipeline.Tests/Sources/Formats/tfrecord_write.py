"""Writes TFRecord files of tf.train.Example records without TensorFlow, as an independent writer for the tests.

The Example messages are made with Python's protobuf runtime (Debian's python3-protobuf) from descriptors of
tensorflow/core/example/{example,feature}.proto built here; the framing (uint64 length, masked CRC-32C of the length,
data, masked CRC-32C of the data) and the CRC-32C itself are written here, bit by bit, not taken from any library.

usage: python3 tfrecord_write.py SPEC.json, where SPEC is
  {"out": "x.tfrecord", "imageKey": "image/encoded", "labelKey": "image/class/label", "packed": true,
   "records": [{"path": "/abs/a.png", "label": 0, "filename": "a.png"}, ...]}
a record's "label" may be null (no label feature), its "path" null (no image feature); its "features" (optional) add
features: {"image/object/bbox/xmin": {"float": [0.1, ...]}, "image/object/class/label": {"int64": [1]},
"image/object/class/text": {"bytes": ["cat"]}, ...}.
"""
import json
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf import message_factory


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def example_classes(packed):
    f = descriptor_pb2.FileDescriptorProto(name="example.proto", package="tensorflow", syntax="proto3")
    T = descriptor_pb2.FieldDescriptorProto
    def message(name, fields, nested=()):
        m = f.message_type.add(name=name)
        for n in nested:
            m.nested_type.add().CopyFrom(n)
        for number, fname, ftype, label, type_name, opts in fields:
            fd = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                fd.type_name = type_name
            if opts is not None:
                fd.options.packed = opts
        return m
    message("BytesList", [(1, "value", T.TYPE_BYTES, T.LABEL_REPEATED, None, None)])
    message("FloatList", [(1, "value", T.TYPE_FLOAT, T.LABEL_REPEATED, None, packed)])
    message("Int64List", [(1, "value", T.TYPE_INT64, T.LABEL_REPEATED, None, packed)])
    feature = message("Feature", [(1, "bytes_list", T.TYPE_MESSAGE, T.LABEL_OPTIONAL, ".tensorflow.BytesList", None),
                                  (2, "float_list", T.TYPE_MESSAGE, T.LABEL_OPTIONAL, ".tensorflow.FloatList", None),
                                  (3, "int64_list", T.TYPE_MESSAGE, T.LABEL_OPTIONAL, ".tensorflow.Int64List", None)])
    feature.oneof_decl.add(name="kind")
    for fd in feature.field:
        fd.oneof_index = 0
    entry = descriptor_pb2.DescriptorProto(name="FeatureEntry")
    entry.field.add(name="key", number=1, type=T.TYPE_STRING, label=T.LABEL_OPTIONAL)
    entry.field.add(name="value", number=2, type=T.TYPE_MESSAGE, label=T.LABEL_OPTIONAL, type_name=".tensorflow.Feature")
    entry.options.map_entry = True
    message("Features", [(1, "feature", T.TYPE_MESSAGE, T.LABEL_REPEATED, ".tensorflow.Features.FeatureEntry", None)], nested=[entry])
    message("Example", [(1, "features", T.TYPE_MESSAGE, T.LABEL_OPTIONAL, ".tensorflow.Features", None)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    get = getattr(message_factory, "GetMessageClass", None) or message_factory.MessageFactory(pool).GetPrototype
    return get(pool.FindMessageTypeByName("tensorflow.Example"))


def main():
    spec = json.load(open(sys.argv[1]))
    Example = example_classes(spec.get("packed", True))
    with open(spec["out"], "wb") as out:
        for r in spec["records"]:
            example = Example()
            features = example.features.feature
            if r.get("path") is not None:
                features[spec["imageKey"]].bytes_list.value.append(open(r["path"], "rb").read())
                features["image/format"].bytes_list.value.append(r["path"].rsplit(".", 1)[-1].encode())
            if r.get("label") is not None:
                features[spec["labelKey"]].int64_list.value.append(r["label"])
            if r.get("filename") is not None:
                features["image/filename"].bytes_list.value.append(r["filename"].encode())
            for key, value in (r.get("features") or {}).items():
                # SetInParent: an empty list is written as TensorFlow writes it, a present but empty list.
                if "float" in value:
                    features[key].float_list.SetInParent()
                    features[key].float_list.value.extend(float(v) for v in value["float"])
                elif "int64" in value:
                    features[key].int64_list.SetInParent()
                    features[key].int64_list.value.extend(value["int64"])
                else:
                    features[key].bytes_list.SetInParent()
                    features[key].bytes_list.value.extend(v.encode() for v in value["bytes"])
            data = example.SerializeToString()
            header = struct.pack("<Q", len(data))
            out.write(header + struct.pack("<I", masked(header)) + data + struct.pack("<I", masked(data)))


main()
