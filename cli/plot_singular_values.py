#!/usr/bin/python3
"""Singular values of A over time with the jumps marked, one panel per run.

usage: plot_singular_values.py OUT.png SERIES.csv JUMPS.csv LABEL [SERIES.csv JUMPS.csv LABEL ...]
Called by `dlnsgd ... --plot`; needs matplotlib (Debian python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(argv):
    if len(argv) < 5 or (len(argv) - 2) % 3:
        sys.exit(__doc__)
    out, runs = argv[1], [argv[i:i + 3] for i in range(2, len(argv), 3)]
    fig, axes = plt.subplots(len(runs), 1, figsize=(9, 3.2 * len(runs)), sharex=True, squeeze=False)
    for ax, (series, jumps, label) in zip(axes[:, 0], runs):
        rows = read_csv(series)
        steps = [int(r["step"]) for r in rows]
        k = len([c for c in rows[0] if c.startswith("sv")])
        for i in range(1, k + 1):
            ys = [max(float(r[f"sv{i}"]), 1e-300) if r[f"sv{i}"] else float("nan") for r in rows]
            ax.plot(steps, ys, lw=1.2, label=f"$\\sigma_{i}$")
        for j in read_csv(jumps):
            absorbed = j["kind"] == "absorbed"
            ax.axvline(int(j["step"]), color="red" if absorbed else "grey", ls="--" if absorbed else ":",
                       lw=1, label="absorbed-rank jump" if absorbed else "numerical-rank jump")
        ax.set_yscale("log")
        ax.set_ylim(bottom=1e-8)
        ax.set_ylabel("singular value of A")
        ax.set_title(label, fontsize=9)
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        ax.legend(uniq.values(), uniq.keys(), fontsize=7, ncol=4, loc="lower left")
    axes[-1, 0].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(out, dpi=110, format="png")  # out may be a temporary without .png


if __name__ == "__main__":
    main(sys.argv)
