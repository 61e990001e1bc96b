#!/usr/bin/python3
"""The figure of one or more runs: absorbed rank over time; max_k sigma_{r+1}(M_k)
against eps (what decides a jump into B_r, math section 6); train and test error;
the singular values of A. Time on a log axis, legends outside the data.

usage: plot_runs.py OUT FORMAT SERIES.csv JUMPS.csv LABEL [SERIES.csv JUMPS.csv LABEL ...]
SERIES.csv has br_r, br_sigma, br_eps: the set B_r of each row and its two numbers.
Called by `dlnsgd run|compare|(demo) --plot`; needs matplotlib (Debian python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def column(rows, name, floor=None):
    out = []
    for r in rows:
        v = r.get(name, "")
        x = float(v) if v not in ("", None) else float("nan")
        out.append(max(x, floor) if floor is not None and x == x else x)
    return out


def main(argv):
    if len(argv) < 6 or (len(argv) - 3) % 3:
        sys.exit(__doc__)
    out, fmt = argv[1], argv[2]
    runs = [argv[i:i + 3] for i in range(3, len(argv), 3)]
    fig, axes = plt.subplots(2, 2, figsize=(13, 7.5), sharex=True)
    (ax_rank, ax_sigma), (ax_err, ax_sv) = axes
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    handles, starts, watched = [], set(), set()
    for n, (series, jumps, label) in enumerate(runs):
        c = colors[n % len(colors)]
        rows = read_csv(series)
        # Time since the run's first step: a run from a saved state starts late.
        start = int(rows[0]["step"])
        starts.add(start)
        steps = [int(x["step"]) - start for x in rows]
        ax_rank.step(steps, column(rows, "absorbed_rank"), where="post", color=c, lw=1.6)
        ax_rank.step(steps, column(rows, "numerical_rank"), where="post", color=c, lw=0.8, ls=":")
        for j in read_csv(jumps):
            if j["kind"] == "absorbed":
                ax_rank.axvline(int(j["step"]) - start, color=c, lw=0.6, ls="--", alpha=0.6)
        ax_sigma.plot(steps, column(rows, "br_sigma", 1e-300), color=c, lw=1.3)
        ax_sigma.plot(steps, column(rows, "br_eps"), color=c, lw=1.0, ls="--")
        ax_err.plot(steps, column(rows, "data_cost", 1e-300), color=c, lw=1.3)
        if any(v == v for v in column(rows, "test_error")):
            ax_err.plot(steps, column(rows, "test_error", 1e-300), color=c, lw=1.0, ls="--")
        k = len([h for h in rows[0] if h.startswith("sv")])
        for i in range(1, k + 1):
            ax_sv.plot(steps, column(rows, f"sv{i}", 1e-300), color=c, lw=1.0, alpha=max(0.3, 1 - 0.15 * (i - 1)))
        watched.update(x["br_r"] for x in rows)
        handles.append(Line2D([], [], color=c, lw=2, label=label))
    r_text = next(iter(watched)) if len(watched) == 1 else "r"
    ax_rank.set_ylabel("rank")
    ax_rank.set_title("absorbed rank (solid), numerical rank of A (dotted), absorbed jumps (dashed)", fontsize=9)
    ax_sigma.set_yscale("log")
    ax_sigma.set_ylabel(f"max$_k\\ \\sigma_{{{r_text}+1}}(M_k)$")
    which = "" if len(watched) == 1 else ", r = absorbed rank - 1 at each sample"
    ax_sigma.set_title(f"entry into $B_{{{r_text}}}$ needs $\\sigma_{{{r_text}+1}}(M_k) < \\epsilon$: "
                       f"solid $\\sigma$, dashed $\\epsilon${which}", fontsize=9)
    ax_err.set_yscale("log")
    ax_err.set_ylabel("mean squared error")
    ax_err.set_title("train (solid) and test (dashed) error", fontsize=9)
    ax_sv.set_yscale("log")
    ax_sv.set_ylim(bottom=1e-8)
    ax_sv.set_ylabel("singular values of A")
    ax_sv.set_title("$\\sigma_i(A_\\theta)$, fainter for larger i", fontsize=9)
    for ax in axes.flat:
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(left=0)
        ax.grid(True, which="major", alpha=0.3)
    origin = f" (the runs start at step {min(starts)})" if len(starts) == 1 and min(starts) > 0 else ""
    for ax in axes[1]:
        ax.set_xlabel("steps since the start, log scale" + origin)
    fig.legend(handles=handles, loc="lower center", ncol=1 if len(handles) > 3 else len(handles), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    bottom = 0.01 + 0.03 * (len(handles) if len(handles) > 3 else 1)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(out, dpi=110, format=fmt)  # out may be a temporary without an extension


if __name__ == "__main__":
    main(sys.argv)
