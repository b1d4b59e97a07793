"""Models that `bdsweep export` wrote, in PyTorch, without the safetensors
package (Debian has none; where it is installed, safetensors.torch.load_file
reads the same files).

    import sys; sys.path.insert(0, "python")     # from the repository's root
    from load_safetensors import load_model
    model, meta = load_model("model.safetensors")  # the PyTorch twin, eval mode
    logits = model(x)                              # x: [N, C, H, W] float32, normalised as in training

python/README.md says more (inputs, metadata, detectors).
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bdsweep_models  # noqa: E402

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
          "BOOL": torch.bool}


def read(path):
    """The tensors (name -> tensor) and the __metadata__ (str -> str) of a safetensors file."""
    with open(path, "rb") as f:
        data = bytearray(f.read())  # writable: torch.frombuffer shares it
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        dtype, count = DTYPES[t["dtype"]], math.prod(t["shape"])
        offset = 8 + n + t["data_offsets"][0]
        flat = torch.frombuffer(data, dtype=dtype, count=count, offset=offset) if count else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(t["shape"])
    return tensors, meta


def load_file(path):
    """name -> tensor, as safetensors.torch.load_file returns them."""
    return read(path)[0]


def load_model(path):
    """The PyTorch twin of the exported architecture (python/bdsweep_models.py)
    with the file's weights and BN statistics, in eval mode, and the metadata."""
    tensors, meta = read(path)
    shape = tuple(int(v) for v in meta["input"].split("x"))
    model = bdsweep_models.build(meta["arch"], shape, int(meta["classes"]))
    model.load_state_dict(tensors, strict=True)
    return model.eval(), meta
