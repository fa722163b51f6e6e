#!/usr/bin/env python3
"""An independent implementation of COCO's run-length encoding, written from the published algorithm
(pycocotools' maskApi.c: rleEncode, rleToString, rleFrString), to cross-check the library's codec.

Reads a JSON request on standard input:
  {"masks": [{"h": H, "w": W, "bits": "0110..."}], "strings": ["..."]}
where "bits" is the mask in column-major order (down each column, left to right) and strings[i] is the
library's compressed string for masks[i]. Writes on standard output:
  {"counts": [[...]], "encoded": ["..."], "decoded": ["0110..."], "decoded_counts": [[...]]}
with this script's counts and compressed string of each mask, and its decoding of each library string.
Uses only the standard library (there is no pycocotools here).
"""
import json
import sys


def counts_of(bits):
    """Runs of 0 then 1 then 0 ..., the first run of 0s possibly empty."""
    counts = []
    expected = "0"
    run = 0
    for b in bits:
        if b != expected:
            counts.append(run)
            run = 0
            expected = "1" if expected == "0" else "0"
        run += 1
    counts.append(run)
    return counts


def to_string(counts):
    out = []
    for i, c in enumerate(counts):
        value = c - counts[i - 2] if i > 2 else c
        # Python ints shift arithmetically, as the C long does.
        while True:
            group = value & 0x1F
            value >>= 5
            last = (value == -1) if (group & 0x10) else (value == 0)
            if not last:
                group |= 0x20
            out.append(chr(group + 48))
            if last:
                break
    return "".join(out)


def from_string(text):
    counts = []
    pos = 0
    while pos < len(text):
        value = 0
        shift = 0
        while True:
            group = ord(text[pos]) - 48
            pos += 1
            value |= (group & 0x1F) << shift
            shift += 5
            if not group & 0x20:
                if group & 0x10:
                    value -= 1 << shift
                break
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def bits_of(counts):
    return "".join(("1" if i % 2 else "0") * c for i, c in enumerate(counts))


def main():
    request = json.load(sys.stdin)
    reply = {"counts": [], "encoded": [], "decoded": [], "decoded_counts": []}
    for mask in request["masks"]:
        assert len(mask["bits"]) == mask["h"] * mask["w"], "bits are not h*w long"
        counts = counts_of(mask["bits"])
        reply["counts"].append(counts)
        reply["encoded"].append(to_string(counts))
    for text in request["strings"]:
        counts = from_string(text)
        reply["decoded_counts"].append(counts)
        reply["decoded"].append(bits_of(counts))
    json.dump(reply, sys.stdout)


if __name__ == "__main__":
    main()
