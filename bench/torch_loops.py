"""PyTorch baselines of SPEC §8 (issue 4): single-entry SGD steps per second.

Run with Debian's /usr/bin/python3 (python3-torch). Same problem as
bench_step.cpp: depth 4, square widths n = m = w, 4096 observations of a
planted rank-3 target, END_TO_END(s = 1) initialisation (each layer
N(0, 1/w)), eta = 1e-3, lambda = 1e-4, one thread, float64.

  forming   A = W4 @ W3 @ W2 @ W1 every step, loss = (A[i, j] - y)^2
  row-col   a = W4[i, :] @ W3 @ W2 @ W1[:, j], loss = (a - y)^2

both with torch.optim.SGD(lr=eta, weight_decay=2*lambda) (SPEC §2: wd = 2λ),
batch of one sampled uniformly with replacement, loss.backward(), step().
Each repeat runs a fixed number of steps (after warm-up) and records steps per
CPU second of this thread (time.thread_time: the machine is shared, CPU time
is what bench_step reports too) and per wall second; the JSON holds every
repeat and the medians.

Usage: torch_loops.py [--widths 64,256,1024] [--repeats 5] [--seconds 1.0] [--out FILE]
"""
import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import torch

DEPTH = 4
OBSERVATIONS = 4096
PLANTED_RANK = 3
ETA = 1e-3
LAMBDA = 1e-4


def problem(width, seed=1):
    rng = np.random.default_rng(seed + 1000)
    u = rng.standard_normal((width, PLANTED_RANK))
    v = rng.standard_normal((width, PLANTED_RANK))
    rows = rng.integers(0, width, OBSERVATIONS)
    cols = rng.integers(0, width, OBSERVATIONS)
    values = np.einsum("kr,kr->k", u[rows], v[cols]) / np.sqrt(PLANTED_RANK)
    gen = torch.Generator().manual_seed(seed)
    weights = [
        (torch.randn(width, width, generator=gen, dtype=torch.float64) / np.sqrt(width)).requires_grad_()
        for _ in range(DEPTH)
    ]  # weights[0] = W1 … weights[3] = W4
    return (torch.from_numpy(rows), torch.from_numpy(cols), torch.from_numpy(values), weights)


def make_loop(kind, width, seed=1):
    rows, cols, values, (w1, w2, w3, w4) = problem(width, seed)
    opt = torch.optim.SGD([w1, w2, w3, w4], lr=ETA, weight_decay=2 * LAMBDA)
    sampler = torch.Generator().manual_seed(seed + 7)

    def step_forming(k):
        i, j, y = int(rows[k]), int(cols[k]), values[k]
        opt.zero_grad(set_to_none=True)
        a = w4 @ w3 @ w2 @ w1
        loss = (a[i, j] - y) ** 2  # mean over a batch of one, no ½
        loss.backward()
        opt.step()
        return loss

    def step_row_col(k):
        i, j, y = int(rows[k]), int(cols[k]), values[k]
        opt.zero_grad(set_to_none=True)
        a = w4[i, :] @ w3 @ w2 @ w1[:, j]
        loss = (a - y) ** 2
        loss.backward()
        opt.step()
        return loss

    step = step_forming if kind == "forming" else step_row_col

    def run(steps):
        batch = torch.randint(0, OBSERVATIONS, (steps,), generator=sampler)
        loss = None
        for k in batch.tolist():
            loss = step(k)
        return float(loss)

    return run


def measure(kind, width, repeats, seconds):
    run = make_loop(kind, width)
    run(2)  # warm-up: allocator, autograd graph, optimizer state
    # Calibrate the steps per repeat to about `seconds` of CPU time.
    steps = 1
    while True:
        t0 = time.thread_time()
        run(steps)
        elapsed = time.thread_time() - t0
        if elapsed >= seconds / 4 or steps >= 1 << 20:
            break
        steps *= 4
    steps = max(1, int(steps * seconds / max(elapsed, 1e-9)))
    cpu_rates, wall_rates, last_loss = [], [], None
    for _ in range(repeats):
        w0, t0 = time.perf_counter(), time.thread_time()
        last_loss = run(steps)
        t1, w1 = time.thread_time(), time.perf_counter()
        cpu_rates.append(steps / (t1 - t0))
        wall_rates.append(steps / (w1 - w0))
    return {
        "kind": kind,
        "width": width,
        "steps_per_repeat": steps,
        "steps_per_cpu_second": cpu_rates,
        "steps_per_wall_second": wall_rates,
        "median_steps_per_second": statistics.median(cpu_rates),
        "median_steps_per_wall_second": statistics.median(wall_rates),
        "last_loss": last_loss,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="64,256,1024")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="target CPU seconds per repeat")
    parser.add_argument("--kinds", default="forming,row-col")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    results = []
    for width in [int(w) for w in args.widths.split(",")]:
        for kind in args.kinds.split(","):
            r = measure(kind, width, args.repeats, args.seconds)
            print(f"torch {kind:8s} w={width:5d}: {r['median_steps_per_second']:12.1f} steps/s "
                  f"(median of {args.repeats} x {r['steps_per_repeat']} steps, loss {r['last_loss']:.3g})",
                  file=sys.stderr, flush=True)
            results.append(r)
    doc = {
        "context": {
            "torch_version": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "dtype": "float64",
            "setup": f"depth {DEPTH}, n=m=w, {OBSERVATIONS} observations, eta={ETA}, lambda={LAMBDA}, "
                     f"SGD(lr=eta, weight_decay=2*lambda), batch 1",
        },
        "results": results,
    }
    text = json.dumps(doc, indent=1)
    if args.out == "-":
        print(text)
    else:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
