#!/usr/bin/env python3
"""Dense NumPy reference for the SGD test vectors (tests/data/vectors/README.md).

A second implementation of docs/mathematics.md §1-§3 that shares nothing with
the library: it forms A_θ and the gradient G as dense matrices and multiplies
them out in full, in one fixed order, with no BLAS (so a result does not depend
on which BLAS NumPy is linked against, nor on the CPU's kernels):

    A      = W_L (W_{L-1} (⋯ (W_2 W_1)))
    G      = Σ_{k ∈ B} (2 r_k / b) e_{i_k} e_{j_k}^T      (dense n × m, batch order)
    W_ℓ   ← (1 − 2ηλ) W_ℓ − η (W_{>ℓ}^T G) W_{<ℓ}^T       (every ℓ from the same θ)

with W_{>ℓ} and W_{<ℓ} associated the same way as A. Losses use NumPy's own
sums (np.mean, np.sum); singular values come from a one-sided Jacobi SVD
written here in plain float arithmetic (correctly rounded sums, math.fsum),
again independent of LAPACK.

Usage:
  make_vectors.py --write DIR    write every generated case (CASES below) into DIR
  make_vectors.py --check DIR    regenerate every generated file of DIR and
                                 compare byte for byte; recompute the expected
                                 records of every other (imported) file from its
                                 inputs and compare them (weights and losses bit
                                 for bit, singular values to 1e-15·σ_1)
  make_vectors.py --case NAME    print one generated case on stdout

A new vector is a new entry in CASES: a name, a seed and a function that draws
the problem from numpy.random.default_rng(seed). The expected records follow
from the inputs; nothing is typed in by hand.
"""
import argparse
import math
import sys
from pathlib import Path

import numpy as np

# ------------------------------------------------------------------ the model


def matmul(a, b):
    """a @ b summed over k = 0, 1, … in that order, one rounding per product
    and per addition (elementwise NumPy only: no BLAS, no FMA)."""
    out = np.zeros((a.shape[0], b.shape[1]))
    for k in range(a.shape[1]):
        out = out + np.outer(a[:, k], b[k, :])
    return out


def chain(ws):
    """ws = [W_hi, …, W_lo] → W_hi (⋯ (W_{lo+1} W_lo)); None for an empty chain
    (the identity)."""
    if not ws:
        return None
    p = ws[-1]
    for w in reversed(ws[:-1]):
        p = matmul(w, p)
    return p


def end_to_end(weights):
    """A_θ = W_L ⋯ W_1 (weights[0] is W_1)."""
    return chain(weights[::-1])


def loss(p, weights):
    """C(A_θ) + λ‖θ‖², C the mean squared error over all observations."""
    a = end_to_end(weights)
    r = a[p.rows, p.cols] - p.values
    ridge = sum(np.sum(w * w) for w in weights)
    return np.mean(r * r) + p.lam * ridge


def step(p, weights, batch):
    """One SGD step on the explicit batch (a list of observation indices)."""
    a = end_to_end(weights)
    b = len(batch)
    g = np.zeros(a.shape)
    for k in batch:
        i, j = p.rows[k], p.cols[k]
        g[i, j] += 2.0 * (a[i, j] - p.values[k]) / b
    decay = 1.0 - 2.0 * p.eta * p.lam
    out = []
    for ell in range(1, len(weights) + 1):
        above = chain(weights[ell:][::-1])      # W_L ⋯ W_{ℓ+1}
        below = chain(weights[:ell - 1][::-1])  # W_{ℓ-1} ⋯ W_1
        grad = g if above is None else matmul(above.T, g)
        grad = grad if below is None else matmul(grad, below.T)
        out.append(decay * weights[ell - 1] - p.eta * grad)
    return out


def singular_values(a):
    """All min(n, m) singular values of a, descending: one-sided Jacobi
    (Hestenes) on the columns of a or aᵀ, rotating every pair until all are
    orthogonal to rounding, then the column norms."""
    x = [list(map(float, c)) for c in (a.T if a.shape[0] >= a.shape[1] else a)]  # the shorter side's vectors
    u = 2.0 ** -53
    for _sweep in range(100):
        rotated = False
        for p in range(len(x)):
            for q in range(p + 1, len(x)):
                alpha = math.fsum(v * v for v in x[p])
                beta = math.fsum(v * v for v in x[q])
                gamma = math.fsum(v * w for v, w in zip(x[p], x[q]))
                if gamma == 0.0 or abs(gamma) <= u * math.sqrt(alpha) * math.sqrt(beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = math.copysign(1.0, zeta) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                c = 1.0 / math.sqrt(1.0 + t * t)
                s = c * t
                xp, xq = x[p], x[q]
                x[p] = [c * v - s * w for v, w in zip(xp, xq)]
                x[q] = [s * v + c * w for v, w in zip(xp, xq)]
        if not rotated:
            break
    else:
        raise RuntimeError("Jacobi SVD did not converge")
    return sorted((math.sqrt(math.fsum(v * v for v in col)) for col in x), reverse=True)


def expected(p):
    """The expected records of a problem: its inputs stepped through every batch
    without interruption (a checkpoint changes nothing by design)."""
    w = [m.copy() for m in p.weights]
    before = loss(p, w)
    for batch in p.batches:
        w = step(p, w, batch)
    return {"expect_W": w, "loss_before": before, "loss_after": loss(p, w),
            "svals_A": singular_values(end_to_end(w))}


# ------------------------------------------------------------------ the file format


class Problem:
    def __init__(self, depth, widths, eta, lam, weights, rows, cols, values, batches,
                 checkpoint_at=None, comments=()):
        self.depth, self.widths, self.eta, self.lam = depth, list(widths), float(eta), float(lam)
        self.weights = [np.asarray(w, dtype=float) for w in weights]
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cols = np.asarray(cols, dtype=np.int64)
        self.values = np.asarray(values, dtype=float)
        self.batches = [list(map(int, b)) for b in batches]
        self.checkpoint_at = checkpoint_at
        self.comments = list(comments)
        self.records = {}  # expected records as read from a file


def g17(x):
    return "%.17g" % float(x)


def format_vector(p, exp):
    out = ["# " + c for c in p.comments]
    out.append(f"depth {p.depth}")
    out.append("widths " + " ".join(map(str, p.widths)))
    out.append("eta " + g17(p.eta))
    out.append("lambda " + g17(p.lam))

    def matrix(key, ell, m):
        out.append(f"{key} {ell} {m.shape[0]} {m.shape[1]}")
        out.extend(" ".join(g17(x) for x in row) for row in m)

    for ell, w in enumerate(p.weights, 1):
        matrix("W", ell, w)
    out.append(f"obs {p.values.size}")
    out.extend(f"{i} {j} {g17(y)}" for i, j, y in zip(p.rows, p.cols, p.values))
    out.append("loss_before " + g17(exp["loss_before"]))
    if p.checkpoint_at is not None:
        out.append(f"checkpoint_at {p.checkpoint_at}")
    out.append(f"steps {len(p.batches)}")
    out.extend("batch " + " ".join(map(str, [len(b)] + b)) for b in p.batches)
    for ell, w in enumerate(exp["expect_W"], 1):
        matrix("expect_W", ell, w)
    out.append("loss_after " + g17(exp["loss_after"]))
    s = exp["svals_A"]
    out.append(f"svals_A {len(s)} " + " ".join(g17(x) for x in s))
    return "\n".join(out) + "\n"


def parse_vector(text):
    """Reads a vector file (its own reader: nothing shared with the tests)."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    comments = [ln[2:] for ln in text.splitlines() if ln.startswith("# ")]
    it = iter(lines)
    f = {"W": {}, "expect_W": {}, "batches": [], "checkpoint_at": None}
    for tok in it:
        key = tok[0]
        if key == "depth":
            f["depth"] = int(tok[1])
        elif key == "widths":
            f["widths"] = [int(x) for x in tok[1:]]
        elif key in ("eta", "lambda", "loss_before", "loss_after"):
            f[key] = float(tok[1])
        elif key in ("W", "expect_W"):
            ell, r, c = map(int, tok[1:4])
            m = np.array([[float(x) for x in next(it)] for _ in range(r)]).reshape(r, c)
            f[key][ell] = m
        elif key == "obs":
            f["obs"] = [next(it) for _ in range(int(tok[1]))]
        elif key == "checkpoint_at":
            f["checkpoint_at"] = int(tok[1])
        elif key == "steps":
            for _ in range(int(tok[1])):
                b = next(it)
                if b[0] != "batch" or len(b) != 2 + int(b[1]):
                    raise ValueError(f"bad batch record {b}")
                f["batches"].append([int(x) for x in b[2:]])
        elif key == "svals_A":
            f["svals_A"] = [float(x) for x in tok[2:]]
            if len(f["svals_A"]) != int(tok[1]):
                raise ValueError("svals_A count")
        else:
            raise ValueError(f"unknown record {key}")
    obs = f["obs"]
    p = Problem(f["depth"], f["widths"], f["eta"], f["lambda"],
                [f["W"][ell] for ell in range(1, f["depth"] + 1)],
                [int(o[0]) for o in obs], [int(o[1]) for o in obs], [float(o[2]) for o in obs],
                f["batches"], f["checkpoint_at"], comments)
    p.records = {"expect_W": [f["expect_W"][ell] for ell in range(1, f["depth"] + 1)],
                 "loss_before": f["loss_before"], "loss_after": f["loss_after"],
                 "svals_A": f["svals_A"]}
    return p


# ------------------------------------------------------------------ generated cases
# Each case draws everything from numpy.random.default_rng(seed); the file's
# first comment line records the case and the seed, so the file is remade by
# `make_vectors.py --case NAME`.


def gaussian_layers(rng, widths, scale):
    return [scale * rng.standard_normal((widths[ell], widths[ell - 1])) / math.sqrt(widths[ell - 1])
            for ell in range(1, len(widths))]


def observations(rng, n, m, count):
    return (rng.integers(0, n, count), rng.integers(0, m, count), rng.standard_normal(count))


def batches(rng, count, steps, sizes):
    return [list(rng.integers(0, count, int(rng.integers(sizes[0], sizes[1] + 1)))) for _ in range(steps)]


def case_rank_deficient(rng):
    # Depth 3, widths 5 4 4 6, every bottleneck of rank 2 < 4: W_1 = U Vᵀ,
    # W_2 = B Uᵀ, W_3 = C Bᵀ, so range(W_1) ⊇ range(W_2ᵀ) and range(W_2) ⊇ range(W_3ᵀ)
    # (math §5: no step raises a bottleneck rank). A_θ keeps rank 2; its two
    # trailing singular values are rounding noise.
    widths, r = [5, 4, 4, 6], 2
    u = rng.standard_normal((widths[1], r))
    v = rng.standard_normal((widths[0], r))
    bm = rng.standard_normal((widths[2], r))
    cm = rng.standard_normal((widths[3], r))
    weights = [matmul(0.5 * u, v.T), matmul(0.5 * bm, u.T), matmul(0.5 * cm, bm.T)]
    rows, cols, values = observations(rng, widths[-1], widths[0], 14)
    return Problem(3, widths, 0.05, 0.01, weights, rows, cols, values, batches(rng, 14, 40, (1, 3)),
                   comments=["depth 3 from a rank-deficient start: every bottleneck and A_θ of rank 2 < 4"])


def case_duplicates(rng):
    # 4 distinct entries observed 3 times each with different values (12
    # observations), batches of 2-5 drawn with replacement: the same (i, j)
    # enters a batch through several observations and through repeated indices.
    widths = [3, 4, 3, 4]
    pairs = []
    while len(pairs) < 4:
        pair = (int(rng.integers(0, widths[-1])), int(rng.integers(0, widths[0])))
        if pair not in pairs:
            pairs.append(pair)
    order = rng.permutation(12)
    rows = [pairs[o % 4][0] for o in order]
    cols = [pairs[o % 4][1] for o in order]
    values = rng.standard_normal(12)
    steps = batches(rng, 12, 20, (2, 5))
    position = [(rows[k], cols[k]) for k in range(12)]
    if not any(len(set(b)) < len(b) for b in steps) or not any(
            len({position[k] for k in set(b)}) < len(set(b)) for b in steps):
        raise RuntimeError("sgd_duplicates: no batch repeats an index or a position; change the seed")
    return Problem(3, widths, 0.04, 0.005, gaussian_layers(rng, widths, 1.0), rows, cols, values, steps,
                   comments=["depth 3, duplicated observations: 4 entries observed 3 times each"])


def case_checkpoint(rng):
    # Depth 4, 24 mini-batches of 1-6; the test saves, destroys, reloads and
    # continues after 11 of them (the records are those of the uninterrupted run).
    widths = [5, 4, 3, 4, 6]
    rows, cols, values = observations(rng, widths[-1], widths[0], 25)
    weights = gaussian_layers(rng, widths, 1.2)
    return Problem(4, widths, 0.03, 0.002, weights, rows, cols, values, batches(rng, 25, 24, (1, 6)),
                   checkpoint_at=11, comments=["depth 4, mini-batches, a checkpoint round trip after batch 11"])


CASES = {
    "sgd_depth3_rank_deficient": (1003, case_rank_deficient),
    "sgd_duplicates": (1004, case_duplicates),
    "sgd_checkpoint": (1005, case_checkpoint),
}


def header(name, seed):
    return f"generated by tests/reference/make_vectors.py: case {name}, seed {seed} (numpy.random.default_rng)"


def generate(name):
    seed, build = CASES[name]
    p = build(np.random.default_rng(seed))
    p.comments.insert(0, header(name, seed))
    return format_vector(p, expected(p))


# ------------------------------------------------------------------ checks


def compare_imported(p):
    """Recomputed expected records against the file's: (exact, report)."""
    exp = expected(p)
    rec = p.records
    want_w = np.concatenate([w.ravel() for w in rec["expect_W"]])
    got_w = np.concatenate([w.ravel() for w in exp["expect_W"]])
    w_diff = int(np.sum(got_w != want_w))
    w_rel = float(np.max(np.abs(got_w - want_w) / np.abs(want_w)))
    losses = [(exp[k], rec[k]) for k in ("loss_before", "loss_after")]
    loss_diff = sum(g != w for g, w in losses)
    s_got, s_want = np.array(exp["svals_A"]), np.array(rec["svals_A"])
    s_bits = int(np.sum(s_got != s_want)) if s_got.size == s_want.size else -1
    s_err = float(np.max(np.abs(s_got - s_want)) / s_want[0]) if s_bits >= 0 else math.inf
    big = s_want > 1e-8 * s_want[0]
    s_rel = float(np.max(np.abs(s_got - s_want)[big] / s_want[big])) if s_bits >= 0 else math.inf
    ok = w_diff == 0 and loss_diff == 0 and s_err <= 1e-15
    report = (f"expect_W {got_w.size - w_diff}/{got_w.size} bit for bit (max rel {w_rel:.3g}), "
              f"losses {2 - loss_diff}/2 bit for bit, svals_A {s_want.size - s_bits}/{s_want.size} "
              f"bit for bit, max |Δσ|/σ_1 = {s_err:.3g} (max |Δσ|/σ = {s_rel:.3g} over σ > 1e-8·σ_1)")
    return ok, report


def check(directory):
    files = sorted(Path(directory).glob("*.txt"))
    if not files:
        print(f"no *.txt vectors in {directory}")
        return 1
    failures = 0
    seen = set()
    for path in files:
        text = path.read_text()
        first = text.splitlines()[0] if text else ""
        generated = first.startswith("# generated by tests/reference/make_vectors.py")
        if generated:
            name = first.split("case ")[1].split(",")[0]
            if name not in CASES or header(name, CASES[name][0]) != first[2:]:
                print(f"FAIL {path.name}: header names no case of CASES with its seed: {first}")
                failures += 1
                continue
            seen.add(name)
            same = generate(name) == text
            print(f"{'ok  ' if same else 'FAIL'} {path.name}: regenerated from seed {CASES[name][0]}: "
                  f"{'byte-identical' if same else 'DIFFERS'}")
            failures += not same
        else:
            ok, report = compare_imported(parse_vector(text))
            print(f"{'ok  ' if ok else 'FAIL'} {path.name}: imported, recomputed: {report}")
            failures += not ok
    for name in sorted(set(CASES) - seen):
        print(f"FAIL {name}.txt: case of CASES missing from {directory}")
        failures += 1
    print(f"{len(files) + len(set(CASES) - seen) - failures} of {len(files)} vector files reproduced")
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", metavar="DIR")
    g.add_argument("--write", metavar="DIR")
    g.add_argument("--case", choices=sorted(CASES))
    args = ap.parse_args(argv)
    if args.check:
        return check(args.check)
    if args.write:
        for name in CASES:
            path = Path(args.write) / f"{name}.txt"
            path.write_text(generate(name))
            print(f"wrote {path}")
        return 0
    sys.stdout.write(generate(args.case))
    return 0


if __name__ == "__main__":
    sys.exit(main())
