#!/usr/bin/env python3
"""Writes small valid seed inputs for each fuzzer: make_seeds.py OUT_DIR -> OUT_DIR/<fuzzer>/seed_*.
Standard library only (no numpy, no torch): the formats are written by hand."""
import io
import json
import os
import struct
import sys
import zipfile


def npy(descr, shape, payload, version=1):
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    pre = 10 if version == 1 else 12
    d += " " * ((64 - (pre + len(d) + 1) % 64) % 64) + "\n"
    head = b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<H" if version == 1 else "<I", len(d))
    return head + d.encode() + payload


def safetensors(tensors, meta, dtype="F32"):
    header, body = {}, b""
    if meta:
        header["__metadata__"] = meta
    fmt = {"F32": "<%df", "F16": "<%de"}[dtype]
    for name, (shape, values) in sorted(tensors.items()):
        data = struct.pack(fmt % len(values), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(body), len(body) + len(data)]}
        body += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + body


def pickle_state_dict(tensors):
    """tensors: [(name, storage_type, key, numel, offset, sizes, strides)] laid out as torch.save does."""
    out = bytearray(b"\x80\x02")

    def s(x):
        b = x.encode()
        out.extend(b"X" + struct.pack("<I", len(b)) + b)

    def i(v):
        out.extend(b"K" + bytes([v]) if v < 256 else b"M" + struct.pack("<H", v))

    def od():
        out.extend(b"ccollections\nOrderedDict\n)R")

    od()
    out.extend(b"(")
    for name, stype, key, numel, offset, sizes, strides in tensors:
        s(name)
        out.extend(b"ctorch._utils\n_rebuild_tensor_v2\n((")
        s("storage")
        out.extend(b"ctorch\n%s\n" % stype.encode())
        s(key)
        s("cpu")
        i(numel)
        out.extend(b"tQ")
        i(offset)
        for t in (sizes, strides):
            out.extend(b"(")
            for v in t:
                i(v)
            out.extend(b"t")
        out.extend(b"\x89")
        od()
        out.extend(b"tR")
    out.extend(b"u}")
    s("_metadata")
    od()
    out.extend(b"sb.")
    return bytes(out)


def torch_zip(pkl, storages):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        for key, data in storages.items():
            z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", "3\n")
    return buf.getvalue()


def main(out):
    seeds = {
        "json_fuzz": [
            json.dumps({"format": "pix2pix-studio", "arch": {"netG": "unet_256", "ngf": 64, "dropout": True},
                        "sizes": [256, 1.5e3, -0.25], "license": "MIT \u00e9", "none": None}, indent=2).encode(),
            b'[1, "a\\n\\u0041\\ud83d\\ude00", {"k": [[]], "e": {}}, false, -0.0e-5]',
        ],
        "safetensors_fuzz": [
            safetensors({"a.weight": ([2, 3], [0.5, -1, 2, 3, 4, 5]), "b": ([], [1.0])}, {"format": "pt"}),
            safetensors({"w": ([2], [1.0, -2.0])}, {}, "F16"),
        ],
        "npy_fuzz": [
            npy("<f4", (2, 3), struct.pack("<6f", *range(6))),
            npy("<f8", (2,), struct.pack("<2d", 0.25, -1e10), version=2),
            npy("<f2", (1, 2), struct.pack("<2e", 1, -2), version=3),
        ],
    }
    # torch_checkpoint_fuzz: byte 0 even = a data.pkl for its fixed archive (storage "0": 24 floats,
    # "1": 16 bytes); odd = a whole file.
    pkl = pickle_state_dict([("w", "FloatStorage", "0", 24, 0, (2, 3, 4), (12, 4, 1)),
                             ("t", "FloatStorage", "0", 24, 2, (3, 2), (1, 3)),
                             ("n", "LongStorage", "1", 2, 1, (), ())])
    whole = torch_zip(pickle_state_dict([("w", "FloatStorage", "0", 4, 0, (2, 2), (2, 1))]),
                      {"0": struct.pack("<4f", 1, 2, 3, 4)})
    seeds["torch_checkpoint_fuzz"] = [b"\x00" + pkl, b"\x01" + whole]
    for fuzzer, items in seeds.items():
        os.makedirs(os.path.join(out, fuzzer), exist_ok=True)
        for n, data in enumerate(items):
            with open(os.path.join(out, fuzzer, "seed_%d" % n), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
