#!/usr/bin/env python3
"""PyTorch on the CPU for the benchmark's third column: workloads 3-5 of bench/main.ts.

  mnist-train  the seed's MNIST CNN, SGD lr 0.025 momentum 0.9, batch 64 (images/s and ms per step)
  mnist-infer  the same net in evaluation mode on 1000 test images at batch 1000 (images/s)
  linreg       linear regression (b): 1000 x 2 points, minibatch 10 shuffled, SGD lr 0.03 (steps/s)
  charlm       nanoGPT's shakespeare_char CPU recipe (bench/nanogpt.py's GPT, 4 layers, 4 heads, 128 wide,
               block 64, batch 12, AdamW, warmup 100 and cosine decay over 2,000 iterations, clipping at 1):
               training tokens/s over --charlm-iters iterations and the validation loss then

Each workload runs after a warm-up; the figure is the median of --reps repetitions (charlm: one run, its
iterations timed together). Prints one JSON object.
With --device cuda the MNIST workloads run on the GPU (the GPU check, scripts/gpu-check/run.sh), each
timed span ending with torch.cuda.synchronize(); --batch sets mnist-train's batch (several: one row each).
Usage: python3 bench/torch_reference.py [--reps 5] [--only mnist-train,mnist-infer,linreg] [--data data/mnist]
                                       [--device cpu|cuda] [--batch 64[,256]] [--steps 10]
                                       [--text data/tinyshakespeare/input.txt] [--charlm-iters 20] [--eval-iters 20]
"""
import argparse
import gzip
import json
import os
import statistics
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import nanogpt

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
WORKLOADS = ("mnist-train", "mnist-infer", "linreg", "charlm")


class Net(nn.Module):
    """The PyTorch MNIST example's net, as Kiln's recipe builds it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def read_idx(path):
    """An IDX file (gzip or raw) as a uint8 tensor of its shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not a u8 IDX file")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).reshape(shape)


def mnist(data_dir, split, count):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))[:count]
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))[:count]
    x = ((images.float() / 255 - MNIST_MEAN) / MNIST_STD).unsqueeze(1)
    return x, labels.long()


DEVICE = torch.device("cpu")


def sync():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def median_seconds(reps, work):
    times = []
    for _ in range(reps):
        sync()
        t0 = time.perf_counter()
        work()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def mnist_training(data_dir, reps, steps=10, batch=64):
    x, y = mnist(data_dir, "train", batch * (steps + 1))
    x, y = x.to(DEVICE), y.to(DEVICE)
    model = Net().to(DEVICE)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9)

    def run(first, count):
        for s in range(first, first + count):
            xb, yb = x[s * batch : (s + 1) * batch], y[s * batch : (s + 1) * batch]
            optimizer.zero_grad()
            loss = F.nll_loss(model(xb), yb)
            loss.backward()
            optimizer.step()

    run(0, 1)
    sync()
    seconds = median_seconds(reps, lambda: run(1, steps))
    return {
        "value": batch * steps / seconds,
        "ms_per_step": 1000 * seconds / steps,
        "note": f"median of {reps} runs of {steps} steps at batch {batch}",
    }


def mnist_inference(data_dir, reps, count=1000):
    x, y = mnist(data_dir, "test", count)
    x, y = x.to(DEVICE), y.to(DEVICE)
    model = Net().to(DEVICE)
    model.eval()
    result = {}

    def run():
        with torch.no_grad():
            out = model(x)
            result["loss"] = F.nll_loss(out, y, reduction="sum").item() / count
            result["correct"] = out.argmax(dim=1).eq(y).sum().item()

    run()
    seconds = median_seconds(reps, run)
    return {"value": count / seconds, "note": f"batch {count}, no_grad, median of {reps}"}


def linreg(reps, count=1000, batch=10):
    torch.manual_seed(0)
    x = torch.randn(count, 2)
    y = x @ torch.tensor([[2.0], [-3.4]]) + 4.2 + 0.01 * torch.randn(count, 1)
    model = nn.Linear(2, 1)
    nn.init.normal_(model.weight, 0, 0.01)
    nn.init.zeros_(model.bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.03)
    steps = count // batch

    def epoch():
        order = torch.randperm(count)
        for s in range(steps):
            rows = order[s * batch : (s + 1) * batch]
            loss = F.mse_loss(model(x[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    epoch()
    seconds = median_seconds(reps, epoch)
    return {"value": steps / seconds, "note": f"{steps} steps per epoch, median of {reps} epochs"}


CHARLM = dict(layers=4, heads=4, embd=128, block=64, batch=12, lr=1e-3, warmup=100, min_lr=1e-4, recipe_iters=2000)


def charlm_training(text_path, iters, eval_iters, windows_path=None):
    """The recipe's first `iters` iterations (its schedule stays the 2,000-iteration one) after two
    warm-up iterations, timed together, then the validation loss estimated on eval_iters batches and,
    with windows_path (bench/torch_charlm.py's format), the mean loss over those fixed windows, so
    that a Kiln model can be measured on the very same ones."""
    r = CHARLM
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {ch: i for i, ch in enumerate(chars)}
    ids = torch.tensor([index[ch] for ch in text], dtype=torch.long)
    split = int(len(ids) * 0.9)
    train, val = ids[:split], ids[split:]
    config = dict(vocabSize=len(chars), blockSize=r["block"], nLayer=r["layers"], nHead=r["heads"], nEmbd=r["embd"], bias=False)
    torch.manual_seed(1337)
    model = nanogpt.GPT(config).to(DEVICE)
    nanogpt.init_weights(model, r["layers"])
    optimizer = nanogpt.adamw(model, r["lr"], 0.1, (0.9, 0.99))

    def batch(data):
        starts = torch.randint(len(data) - r["block"], (r["batch"],))
        x = torch.stack([data[i : i + r["block"]] for i in starts])
        y = torch.stack([data[i + 1 : i + 1 + r["block"]] for i in starts])
        return x.to(DEVICE), y.to(DEVICE)

    def step(it):
        lr = nanogpt.cosine_lr(it, r["lr"], r["warmup"], r["recipe_iters"], r["min_lr"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        x, y = batch(train)
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    model.train()
    for it in range(2):
        step(it)
    sync()
    t0 = time.perf_counter()
    for it in range(2, 2 + iters):
        step(it)
    sync()
    seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        losses = []
        for _ in range(eval_iters):
            x, y = batch(val)
            logits = model(x)
            losses.append(F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1)).item())
    val_loss = sum(losses) / len(losses)
    windows = {}
    if windows_path:
        with open(windows_path) as f:
            fixed = json.load(f)
        x, y = torch.tensor(fixed["x"], dtype=torch.long), torch.tensor(fixed["y"], dtype=torch.long)
        with torch.no_grad():
            total = 0.0
            for at in range(0, len(x), 256):
                logits = model(x[at : at + 256].to(DEVICE))
                total += F.cross_entropy(logits.view(-1, logits.size(-1)), y[at : at + 256].to(DEVICE).view(-1), reduction="sum").item()
        windows = {"windows_loss": total / y.numel(), "windows": len(x)}
    return {
        **windows,
        "value": iters * r["batch"] * r["block"] / seconds,
        "ms_per_step": 1000 * seconds / iters,
        "val_loss": val_loss,
        "note": f"{iters} timed iterations after 2 warm-up ones; val loss {val_loss:.4f} at iteration {iters + 2} ({eval_iters} batches)",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist"))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--batch", default="64", help="mnist-train batch size(s), comma-separated")
    parser.add_argument("--steps", type=int, default=10, help="mnist-train steps per timed run")
    parser.add_argument("--text", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tinyshakespeare", "input.txt"))
    parser.add_argument("--charlm-iters", type=int, default=20, help="charlm: timed training iterations (2000: the whole recipe)")
    parser.add_argument("--eval-iters", type=int, default=20, help="charlm: validation batches of the final estimate")
    parser.add_argument("--windows", default=None, help="charlm: also the mean loss over these fixed windows (JSON: x, y)")
    args = parser.parse_args()
    global DEVICE
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: torch.cuda.is_available() is False")
    DEVICE = torch.device(args.device)
    batches = [int(b) for b in args.batch.split(",") if b]
    only = [w for w in args.only.split(",") if w]
    unknown = [w for w in only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; expected some of {', '.join(WORKLOADS)}")
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    rows = {}
    if "mnist-train" in only:
        for i, batch in enumerate(batches):
            rows["mnist-train" if i == 0 else f"mnist-train-{batch}"] = mnist_training(args.data, args.reps, args.steps, batch)
    if "mnist-infer" in only:
        rows["mnist-infer"] = mnist_inference(args.data, args.reps)
    if "linreg" in only:
        rows["linreg"] = linreg(args.reps)
    if "charlm" in only:
        rows["charlm"] = charlm_training(args.text, args.charlm_iters, args.eval_iters, args.windows)
    device = torch.cuda.get_device_name(0) if DEVICE.type == "cuda" else "cpu"
    print(json.dumps({"torch": torch.__version__, "threads": threads, "device": device, "rows": rows}))


if __name__ == "__main__":
    main()
