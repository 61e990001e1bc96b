"""PyTorch baselines of issue 11: full-batch GD and mini-batch SGD steps per second.

Run with Debian's /usr/bin/python3 (python3-torch). The problems of
bench_batch.cpp: depth 4, widths {m, w, w, w, n}, a planted rank-3 target,
weights N(0, 1/fan-in), float64, torch.optim.SGD(lr, weight_decay=2*lambda)
(math §3: the data term is the mean of the squared residuals over the batch).

  forming    A = W4 @ W3 @ W2 @ W1 every step, loss = mean((A[I, J] - y)^2)
  gathering  the distinct columns J' and rows I' of the batch (torch.unique,
             once for full-batch GD): F = W3 @ W2 @ W1[:, J'], R = W4[I', :],
             loss = mean(((R[inv_i] * F[:, inv_j].T).sum(1) - y)^2)

The faster of the two per case is the baseline (forming is skipped where A
would not fit: n·m > 10^8). Before timing, one step of each loop is checked
against dlnsgd (through the Python binding, same weights and batch) to 1e-10
relative. One thread: steps per CPU second of this thread (time.thread_time);
two threads (torch.set_num_threads(2), DLN_PARAM_THREADS = 2): per wall
second. Paired: every repeat runs dlnsgd on the same problem (same
observations and initial weights, through the binding) and then the loop, and
the ratio of each repeat is kept; its median is reported. JSON lines out.

Usage: torch_batch.py [--repeats 3] [--seconds 0.3] [--threads 1,2] [--only gd|batch] --out FILE
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

DEPTH = 4
PLANTED_RANK = 3
LAMBDA = 1e-4

GD_CASES = [(64, 64, 64, 2000), (256, 256, 256, 20000), (2000, 2000, 32, 40000), (100000, 100000, 64, 1000000)]
BATCH_WIDTHS = (64, 256, 1024)
BATCHES = (4, 16, 64, 256)


def problem(n, m, count, seed=42):
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((n, PLANTED_RANK))
    v = rng.standard_normal((m, PLANTED_RANK))
    rows = rng.integers(0, n, count)
    cols = rng.integers(0, m, count)
    values = np.einsum("kr,kr->k", u[rows], v[cols]) / np.sqrt(PLANTED_RANK)
    return rows, cols, values


def initial_weights(n, m, w, seed=1):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(w, m), (w, w), (w, w), (n, w)]
    return [torch.randn(*s, generator=gen, dtype=torch.float64) / np.sqrt(s[1]) for s in shapes]


class Loop:
    """One PyTorch training loop on a fixed problem."""

    def __init__(self, kind, n, m, w, rows, cols, values, eta, batch, seed=1):
        self.kind, self.batch = kind, batch
        self.rows, self.cols = torch.from_numpy(rows), torch.from_numpy(cols)
        self.values = torch.from_numpy(values)
        self.weights = [x.clone().requires_grad_() for x in initial_weights(n, m, w, seed)]
        self.opt = torch.optim.SGD(self.weights, lr=eta, weight_decay=2 * LAMBDA)
        self.gen = torch.Generator().manual_seed(seed + 7)
        if batch is None:  # full batch: the distinct rows and columns once
            self.fixed = self.indices(torch.arange(len(values)))

    def indices(self, k):
        i, j = self.rows[k], self.cols[k]
        if self.kind == "forming":
            return i, j, self.values[k]
        iu, ii = torch.unique(i, return_inverse=True)
        ju, ji = torch.unique(j, return_inverse=True)
        return iu, ii, ju, ji, self.values[k]

    def step(self, k=None):
        if self.batch is None:
            idx = self.fixed
        else:
            if k is None:
                k = torch.randint(0, len(self.values), (self.batch,), generator=self.gen)
            idx = self.indices(k)
        w1, w2, w3, w4 = self.weights
        self.opt.zero_grad(set_to_none=True)
        if self.kind == "forming":
            i, j, y = idx
            a = w4 @ w3 @ w2 @ w1
            loss = ((a[i, j] - y) ** 2).mean()
        else:
            iu, ii, ju, ji, y = idx
            f = w3 @ (w2 @ w1[:, ju])
            r = w4[iu, :]
            loss = (((r[ii] * f[:, ji].T).sum(1) - y) ** 2).mean()
        loss.backward()
        self.opt.step()


def check_against_dlnsgd(loop, n, m, w, rows, cols, values, eta, batch_indices):
    """One step of the loop and of dlnsgd from the same weights: max relative |Δw|."""
    import dlnsgd

    with dlnsgd.Model([m, w, w, w, n], seed=1, learning_rate=eta, ridge=LAMBDA) as model:
        model.set_observations(rows, cols, values)
        for l, x in enumerate(loop.weights, start=1):
            model.set_weights(l, x.detach().numpy())
        model.step_batch(batch_indices)
        loop.step(torch.from_numpy(np.asarray(batch_indices)))
        worst = 0.0
        for l, x in enumerate(loop.weights, start=1):
            got, want = model.weights[l - 1], x.detach().numpy()
            worst = max(worst, float(np.max(np.abs(got - want)) / np.max(np.abs(want))))
        return worst


def clock(threads):
    return time.thread_time() if threads == 1 else time.perf_counter()


def dlnsgd_model(n, m, w, rows, cols, values, eta, batch, threads):
    """The same problem and initial weights in dlnsgd (Python binding)."""
    import dlnsgd

    model = dlnsgd.Model([m, w, w, w, n], seed=1, learning_rate=eta, ridge=LAMBDA, threads=threads)
    model.set_observations(rows, cols, values)
    for l, x in enumerate(initial_weights(n, m, w), start=1):
        model.set_weights(l, x.numpy())
    if batch is None:
        model.sampler = dlnsgd.Sampler.FULL_BATCH
    else:
        model.batch_size = batch
    return model


def measure(loop, model, threads, seconds, repeats, max_steps=None):
    """Paired: per repeat, dlnsgd for ~seconds then the loop for ~seconds.
    Returns the loop's median rate, dlnsgd's, and the median per-repeat ratio."""
    loop.step()  # warm-up
    model.step(1)
    t0 = clock(threads)
    model.step(1)
    per_call = max(1, int(seconds / 4 / max(clock(threads) - t0, 1e-7)))
    rates, dln_rates, ratios = [], [], []
    for _ in range(repeats):
        steps, t0 = 0, clock(threads)
        while True:
            model.step(1 if max_steps else per_call)
            steps += 1 if max_steps else per_call
            spent = clock(threads) - t0
            if spent >= seconds or (max_steps and steps >= max_steps):
                break
        dln_rates.append(steps / spent)
        steps, t0 = 0, clock(threads)
        while True:
            loop.step()
            steps += 1
            spent = clock(threads) - t0
            if spent >= seconds or (max_steps and steps >= max_steps):
                break
        rates.append(steps / spent)
        ratios.append(dln_rates[-1] / rates[-1])
    return float(np.median(rates)), float(np.median(dln_rates)), float(np.median(ratios))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=0.3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", default="")
    ap.add_argument("--label", default="torch")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = open(args.out, "w")

    def emit(record):
        record["label"] = args.label
        out.write(json.dumps(record) + "\n")
        out.flush()
        print(json.dumps(record), file=sys.stderr)

    emit({"kind": "context", "torch": torch.__version__, "python": sys.version.split()[0],
          "blas": os.environ.get("LD_LIBRARY_PATH", "system BLAS")})
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        if args.only in ("", "gd"):
            for n, m, w, count in GD_CASES:
                rows, cols, values = problem(n, m, count)
                for kind in ("forming", "gathering"):
                    if kind == "forming" and n * m > 10**8:
                        continue
                    huge = n * m > 10**8
                    loop = Loop(kind, n, m, w, rows, cols, values, 1e-2, None)
                    rel = None
                    if threads == 1 and not huge:
                        rel = check_against_dlnsgd(Loop(kind, n, m, w, rows, cols, values, 1e-2, None),
                                                   n, m, w, rows, cols, values, 1e-2, np.arange(count))
                    with dlnsgd_model(n, m, w, rows, cols, values, 1e-2, None, threads) as model:
                        rate, dln, ratio = measure(loop, model, threads, args.seconds, 1 if huge else args.repeats,
                                                   max_steps=1 if huge else None)
                    emit({"kind": "gd", "loop": kind, "n": n, "m": m, "w": w, "N": count, "threads": threads,
                          "steps_per_second": rate, "dlnsgd_steps_per_second": dln,
                          "paired_ratio_dlnsgd_over_torch": ratio, "max_rel_diff_vs_dlnsgd": rel})
        if args.only in ("", "batch"):
            for w in BATCH_WIDTHS:
                rows, cols, values = problem(w, w, 4096)
                for b in BATCHES:
                    for kind in ("forming", "gathering"):
                        loop = Loop(kind, w, w, w, rows, cols, values, 1e-3, b)
                        rel = None
                        if threads == 1:
                            k = np.random.default_rng(b).integers(0, 4096, b)
                            rel = check_against_dlnsgd(Loop(kind, w, w, w, rows, cols, values, 1e-3, b),
                                                       w, w, w, rows, cols, values, 1e-3, k)
                        with dlnsgd_model(w, w, w, rows, cols, values, 1e-3, b, threads) as model:
                            rate, dln, ratio = measure(loop, model, threads, args.seconds, args.repeats)
                        emit({"kind": "batch", "loop": kind, "w": w, "b": b, "threads": threads,
                              "steps_per_second": rate, "dlnsgd_steps_per_second": dln,
                              "paired_ratio_dlnsgd_over_torch": ratio, "max_rel_diff_vs_dlnsgd": rel})


if __name__ == "__main__":
    main()
