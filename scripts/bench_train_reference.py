#!/usr/bin/python3
"""Times the reference pix2pix training step in PyTorch: the baseline of scripts/bench-train.

The networks and the step are those of scripts/reference-oracle.py (Unet, NLayerD, reference_init,
pix2pix_iterations: the reference's optimize_parameters with vanilla GAN + 100 * L1, Adam 2e-4 / 0.5),
run on one random batch. Prints one JSON line: each timed step's seconds, their median, images_per_sec
(from the median) and what was run. --bf16: the reference made fast as PyTorch allows, the baseline of
issue 10's batch-64 target: bf16 autocast, channels_last, and both nets under torch.compile (PyTorch 2).

    scripts/bench_train_reference.py [--device cpu|cuda] [--batch 1] [--size 256] [--ngf 64] [--ndf 64]
                                     [--steps 6] [--warmup 2] [--threads N] [--bf16]
"""
import argparse
import importlib.util
import json
import math
import os
import statistics
import sys
import time

import torch


def load_oracle():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference-oracle.py")
    spec = importlib.util.spec_from_file_location("reference_oracle", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast, channels_last, torch.compile")
    a = ap.parse_args()
    if a.bf16 and not hasattr(torch, "compile"):
        print(f"bench_train_reference: --bf16 needs torch.compile (PyTorch 2), this is {torch.__version__}", file=sys.stderr)
        return 1
    if a.device == "cuda" and not torch.cuda.is_available():
        print(f"bench_train_reference: --device cuda, but this PyTorch ({torch.__version__}) sees no CUDA device",
              file=sys.stderr)
        return 1
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    oracle = load_oracle()
    dev = torch.device(a.device)
    G = oracle.Unet(3, 3, int(math.log2(a.size)), a.ngf, "batch", True).to(dev)
    D = oracle.NLayerD(6, a.ndf, 3, "batch").to(dev)
    oracle.reference_init(G)
    oracle.reference_init(D)
    A = torch.rand(a.batch, 3, a.size, a.size, device=dev) * 2 - 1
    B = torch.rand(a.batch, 3, a.size, a.size, device=dev) * 2 - 1
    if a.bf16:
        fmt = torch.channels_last
        G, D, A, B = G.to(memory_format=fmt), D.to(memory_format=fmt), A.to(memory_format=fmt), B.to(memory_format=fmt)
        G, D = torch.compile(G), torch.compile(D)

    # pix2pix_iterations calls G once per iteration, first: a pre-hook on G marks where each step starts.
    # Each step ends reading its losses with .item(), so the device is idle there and the marks are exact.
    marks = []
    G.register_forward_pre_hook(lambda module, inputs: marks.append(time.perf_counter()))
    with torch.autocast(a.device, dtype=torch.bfloat16, enabled=a.bf16):
        oracle.pix2pix_iterations(G, D, A, B, "vanilla", iterations=a.warmup + a.steps)
    marks.append(time.perf_counter())
    times = [t1 - t0 for t0, t1 in zip(marks, marks[1:])][a.warmup:]
    median = statistics.median(times)
    print(json.dumps({"torch": torch.__version__, "device": a.device, "threads": torch.get_num_threads(),
                      "batch": a.batch, "bf16": a.bf16, "size": a.size, "ngf": a.ngf, "ndf": a.ndf, "steps": a.steps,
                      "step_seconds": times, "median_seconds": median, "images_per_sec": a.batch / median}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
