#!/usr/bin/env python3
"""Loads a character model saved by `kiln train charlm --save` into nanoGPT's GPT (model.py's
classes, written out in bench/nanogpt.py: pre-norm blocks, causal self-attention, GELU MLP, learned
positions, lm_head tied to wte) with load_state_dict(strict=True), and prints its mean cross-entropy over the
given windows as JSON: {"loss": ..., "windows": N}. The model runs in float64, in evaluation mode.

Usage: python3 bench/torch_charlm.py MODEL.safetensors WINDOWS.json
  WINDOWS.json: {"x": [[token ids] per window], "y": [[next-token ids] per window]}
test/torch-charlm.test.ts runs it where Debian's python3-torch is installed.
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

from nanogpt import GPT

DTYPES = {"F32": torch.float32, "I32": torch.int32}


def read_safetensors(path):
    """The tensors and the metadata of a safetensors file (parsed here: no safetensors package needed)."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    metadata = header.pop("__metadata__", {})
    base = 8 + size
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = bytearray(data[base + begin : base + end])
        tensors[name] = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors, metadata


def main():
    model_path, windows_path = sys.argv[1], sys.argv[2]
    tensors, metadata = read_safetensors(model_path)
    config = json.loads(metadata["kiln.charlm"])["config"]
    model = GPT(config)
    model.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()}, strict=True)
    model = model.double().eval()
    with open(windows_path) as f:
        windows = json.load(f)
    x = torch.tensor(windows["x"], dtype=torch.long)
    y = torch.tensor(windows["y"], dtype=torch.long)
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
    print(json.dumps({"loss": loss.item(), "windows": len(windows["x"]), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
