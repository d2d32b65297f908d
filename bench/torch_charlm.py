#!/usr/bin/env python3
"""Loads a character model saved by `kiln train charlm --save` into nanoGPT's GPT (model.py's
classes, written out below: pre-norm blocks, causal self-attention, GELU MLP, learned positions,
lm_head tied to wte) with load_state_dict(strict=True), and prints its mean cross-entropy over the
given windows as JSON: {"loss": ..., "windows": N}. The model runs in float64, in evaluation mode.

Usage: python3 bench/torch_charlm.py MODEL.safetensors WINDOWS.json
  WINDOWS.json: {"x": [[token ids] per window], "y": [[next-token ids] per window]}
test/torch-charlm.test.ts runs it where Debian's python3-torch is installed.
"""
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

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


class LayerNorm(nn.Module):
    """nanoGPT's LayerNorm: an optional bias."""

    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_attn = nn.Linear(c["nEmbd"], 3 * c["nEmbd"], bias=c["bias"])
        self.c_proj = nn.Linear(c["nEmbd"], c["nEmbd"], bias=c["bias"])
        self.n_head = c["nHead"]
        self.n_embd = c["nEmbd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        heads = lambda t: t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        att = F.softmax(att.masked_fill(~mask, float("-inf")), dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c_fc = nn.Linear(c["nEmbd"], 4 * c["nEmbd"], bias=c["bias"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * c["nEmbd"], c["nEmbd"], bias=c["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln_1 = LayerNorm(c["nEmbd"], c["bias"])
        self.attn = CausalSelfAttention(c)
        self.ln_2 = LayerNorm(c["nEmbd"], c["bias"])
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(c["vocabSize"], c["nEmbd"]),
                wpe=nn.Embedding(c["blockSize"], c["nEmbd"]),
                h=nn.ModuleList([Block(c) for _ in range(c["nLayer"])]),
                ln_f=LayerNorm(c["nEmbd"], c["bias"]),
            )
        )
        self.lm_head = nn.Linear(c["nEmbd"], c["vocabSize"], bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT

    def forward(self, idx):
        t = idx.size(1)
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


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
