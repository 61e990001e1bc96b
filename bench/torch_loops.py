"""PyTorch baselines of math §8 (issue 4): single-entry SGD steps per second.

Run with Debian's /usr/bin/python3 (python3-torch). Same problem as
bench_step.cpp: depth 4, square widths n = m = w, 4096 observations of a
planted rank-3 target, END_TO_END(s = 1) initialisation (each layer
N(0, 1/w)), eta = 1e-3, lambda = 1e-4, one thread, float64.

  forming   A = W4 @ W3 @ W2 @ W1 every step, loss = (A[i, j] - y)^2
  row-col   a = W4[i, :] @ W3 @ W2 @ W1[:, j], loss = (a - y)^2

both with torch.optim.SGD(lr=eta, weight_decay=2*lambda) (math §2: wd = 2λ),
batch of one sampled uniformly with replacement, loss.backward(), step().
Each repeat runs a fixed number of steps (after warm-up) and records steps per
CPU second of this thread (time.thread_time: the machine is shared, CPU time
is what bench_step reports too) and per wall second; the JSON holds every
repeat and the medians.

With --dlnsgd-lib PATH the same problem (same observations, same initial
weights) also runs in dlnsgd through its C ABI (ctypes), dln_step(model, K),
and the repeats are interleaved (dlnsgd, forming, row-col, dlnsgd, …) so
that the ratios see the same machine conditions: the ratio of each repeat is
recorded and its median reported, next to bench_step's own medians. Before
timing, one step on the same observation in dlnsgd and in each PyTorch loop
is compared weight by weight (the loops must compute math §3 with wd = 2λ).

Usage: torch_loops.py [--widths 64,256,1024] [--repeats 5] [--seconds 1.0]
                      [--dlnsgd-lib build-bench/src/libdlnsgd.so] [--label blis] [--out FILE]
"""
import argparse
import ctypes
import os
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

    def one_step(k):  # for the agreement check: weights after one step on observation k
        step(k)
        return [w.detach().numpy().copy() for w in (w1, w2, w3, w4)]

    def run(steps):
        batch = torch.randint(0, OBSERVATIONS, (steps,), generator=sampler)
        loss = None
        for k in batch.tolist():
            loss = step(k)
        return float(loss)

    run.one_step = one_step
    return run


class Dlnsgd:
    """The same problem in dlnsgd through the plain-C ABI (only math §9 calls)."""

    def __init__(self, lib_path, width, seed=1):
        lib = ctypes.CDLL(lib_path)
        P, i64, f64 = ctypes.c_void_p, ctypes.c_int64, ctypes.c_double
        i64p, f64p = ctypes.POINTER(i64), ctypes.POINTER(f64)
        lib.dln_create.argtypes = [i64, i64p, ctypes.c_uint64, ctypes.POINTER(P)]
        lib.dln_set_observations.argtypes = [P, i64, i64p, i64p, f64p]
        lib.dln_set_weights.argtypes = [P, i64, f64p]
        lib.dln_get_weights.argtypes = [P, i64, f64p]
        lib.dln_set_param.argtypes = [P, ctypes.c_int, f64]
        lib.dln_step.argtypes = [P, i64]
        lib.dln_step_batch.argtypes = [P, i64, i64p]
        lib.dln_destroy.argtypes = [P]
        lib.dln_last_error.argtypes = [P]
        lib.dln_last_error.restype = ctypes.c_char_p
        self.lib, self.i64p, self.f64p = lib, i64p, f64p
        rows, cols, values, weights = problem(width, seed)
        self.keep = [rows.numpy().astype(np.int64), cols.numpy().astype(np.int64), values.numpy().astype(np.float64)]
        widths = np.full(DEPTH + 1, width, dtype=np.int64)
        handle = P()
        self.check(lib.dln_create(DEPTH, widths.ctypes.data_as(i64p), seed, ctypes.byref(handle)), None)
        self.model = handle
        r, c, v = self.keep
        self.check(lib.dln_set_observations(handle, len(v), r.ctypes.data_as(i64p), c.ctypes.data_as(i64p),
                                            v.ctypes.data_as(f64p)))
        for layer, w in enumerate(weights, start=1):
            a = np.ascontiguousarray(w.detach().numpy(), dtype=np.float64)
            self.check(lib.dln_set_weights(handle, layer, a.ctypes.data_as(f64p)))
        self.check(lib.dln_set_param(handle, 1, ETA))  # DLN_PARAM_LEARNING_RATE
        self.check(lib.dln_set_param(handle, 2, LAMBDA))  # DLN_PARAM_RIDGE
        self.width = width

    def check(self, status, handle=0):
        if status != 0:
            msg = self.lib.dln_last_error(self.model if handle == 0 else handle)
            raise RuntimeError(f"dlnsgd status {status}: {msg.decode() if msg else ''}")

    def one_step(self, k):
        idx = np.array([k], dtype=np.int64)
        self.check(self.lib.dln_step_batch(self.model, 1, idx.ctypes.data_as(self.i64p)))
        out = []
        for layer in range(1, DEPTH + 1):
            a = np.empty((self.width, self.width))
            self.check(self.lib.dln_get_weights(self.model, layer, a.ctypes.data_as(self.f64p)))
            out.append(a)
        return out

    def run(self, steps):
        self.check(self.lib.dln_step(self.model, steps))
        return float("nan")

    def __del__(self):
        if getattr(self, "model", None):
            self.lib.dln_destroy(self.model)


def agreement(lib_path, width, k=5):
    """Max |difference| of the weights after one step on observation k: dlnsgd vs each loop."""
    reference = Dlnsgd(lib_path, width).one_step(k)
    worst = {}
    for kind in ("forming", "row-col"):
        got = make_loop(kind, width).one_step(k)
        worst[kind] = max(float(np.max(np.abs(a - b))) for a, b in zip(reference, got))
    return worst


def calibrate(run, seconds):
    """Steps per repeat for about `seconds` of CPU time."""
    steps = 1
    while True:
        t0 = time.thread_time()
        run(steps)
        elapsed = time.thread_time() - t0
        if elapsed >= seconds / 4 or steps >= 1 << 24:
            break
        steps *= 4
    return max(1, int(steps * seconds / max(elapsed, 1e-9)))


def measure_width(width, kinds, repeats, seconds, lib_path):
    """Interleaved repeats of every kind at one width; returns one record per kind."""
    runs = {kind: make_loop(kind, width) for kind in kinds}
    if lib_path:
        runs = {"dlnsgd": Dlnsgd(lib_path, width).run, **runs}
    for run in runs.values():
        run(2)  # warm-up: allocator, autograd graph, optimizer state
    steps = {kind: calibrate(run, seconds) for kind, run in runs.items()}
    cpu = {kind: [] for kind in runs}
    wall = {kind: [] for kind in runs}
    last = {}
    for _ in range(repeats):
        for kind, run in runs.items():
            w0, t0 = time.perf_counter(), time.thread_time()
            last[kind] = run(steps[kind])
            t1, w1 = time.thread_time(), time.perf_counter()
            cpu[kind].append(steps[kind] / (t1 - t0))
            wall[kind].append(steps[kind] / (w1 - w0))
    records = []
    for kind in runs:
        r = {
            "kind": kind,
            "width": width,
            "steps_per_repeat": steps[kind],
            "steps_per_cpu_second": cpu[kind],
            "steps_per_wall_second": wall[kind],
            "median_steps_per_second": statistics.median(cpu[kind]),
            "median_steps_per_wall_second": statistics.median(wall[kind]),
            "last_loss": last[kind],
        }
        if "dlnsgd" in runs and kind != "dlnsgd":
            ratios = [d / t for d, t in zip(cpu["dlnsgd"], cpu[kind])]
            r["interleaved_dlnsgd_ratios"] = ratios
            r["median_interleaved_dlnsgd_ratio"] = statistics.median(ratios)
        records.append(r)
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="64,256,1024")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="target CPU seconds per repeat")
    parser.add_argument("--kinds", default="forming,row-col")
    parser.add_argument("--dlnsgd-lib", default="", help="libdlnsgd.so: also time dlnsgd, interleaved")
    parser.add_argument("--label", default="", help="name of this configuration (e.g. the BLAS torch uses)")
    parser.add_argument("--out", default="-")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    results, agree = [], {}
    widths = [int(w) for w in args.widths.split(",")]
    if args.dlnsgd_lib:
        for width in widths:
            agree[width] = agreement(args.dlnsgd_lib, width)
            print(f"one-step agreement w={width}: max |dlnsgd - torch| = "
                  + ", ".join(f"{k} {v:.2e}" for k, v in agree[width].items()), file=sys.stderr, flush=True)
    for width in widths:
        for r in measure_width(width, args.kinds.split(","), args.repeats, args.seconds, args.dlnsgd_lib):
            extra = (f", interleaved dlnsgd/this {r['median_interleaved_dlnsgd_ratio']:.1f}x"
                     if "median_interleaved_dlnsgd_ratio" in r else "")
            print(f"{args.label or 'torch'} {r['kind']:8s} w={width:5d}: {r['median_steps_per_second']:12.1f} steps/s "
                  f"(median of {args.repeats} x {r['steps_per_repeat']} steps){extra}", file=sys.stderr, flush=True)
            results.append(r)
    blas = sorted({line.split()[-1] for line in open("/proc/self/maps")
                   if "blas" in line.lower() or "blis" in line.lower()})
    doc = {
        "context": {
            "label": args.label,
            "blas_libraries_loaded": blas,
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
            "malloc_env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
            "one_step_agreement": {str(k): v for k, v in agree.items()},
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
