#!/usr/bin/python3
"""Survival curves P(not yet in B_r by t) of an ensemble, one per grid point
(eta, lambda, b), the Kaplan-Meier estimate with its pointwise 95 % band;
time on a log axis, the legend outside the data.

usage: plot_survival.py OUT FORMAT R CHECK_EVERY CURVES.csv
CURVES.csv: eta,lambda,batch,time,at_risk,events,censored,survival,std_error,lower,upper
Called by `dlnsgd ensemble --plot`; needs matplotlib (Debian python3-matplotlib).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(argv):
    if len(argv) != 6:
        sys.exit(__doc__)
    out, fmt, r, check_every, path = argv[1:]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    groups = {}
    for row in rows:
        groups.setdefault((row["eta"], row["lambda"], row["batch"]), []).append(row)
    fig, ax = plt.subplots(figsize=(9, 5))
    for (eta, lam, b), g in groups.items():
        t = [0.0] + [float(x["time"]) for x in g]
        s = [1.0] + [float(x["survival"]) for x in g]
        lo = [1.0] + [float(x["lower"]) if x["lower"] else float("nan") for x in g]
        hi = [1.0] + [float(x["upper"]) if x["upper"] else float("nan") for x in g]
        n = int(g[0]["at_risk"])
        line, = ax.step(t, s, where="post", lw=1.8, label=f"$\\eta$={eta}, $\\lambda$={lam}, b={b} (n={n})")
        ax.fill_between(t, lo, hi, step="post", color=line.get_color(), alpha=0.18, lw=0)
        censored = [(float(x["time"]), float(x["survival"])) for x in g if int(float(x["censored"])) > 0]
        if censored:
            ax.plot(*zip(*censored), "|", color=line.get_color(), ms=10, mew=1.5)
    ax.set_xscale("symlog", linthresh=float(check_every))  # linear up to the first check
    ax.set_xlim(left=0)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("step t (log scale)")
    ax.set_ylabel(f"P(not yet in $B_{{{r}}}$ by t)")
    ax.set_title(f"Kaplan-Meier survival of 'not yet absorbed into $B_{{{r}}}$', 95 % pointwise bands\n"
                 "| = censored (at the horizon, or where a run diverged)", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=110, format=fmt)  # out may be a temporary without an extension


if __name__ == "__main__":
    main(sys.argv)
