"""Reader of the SGD test vectors (format: tests/data/vectors/README.md)."""
import glob
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]


def testdata_dir():
    return Path(os.environ.get("DLNSGD_TESTDATA") or REPO / "tests" / "data" / "vectors")


def header_path():
    return Path(os.environ.get("DLNSGD_HEADER") or REPO / "include" / "dlnsgd.h")


def vector_files():
    return sorted(glob.glob(str(testdata_dir() / "*.txt")))


class Vector:
    def __init__(self, path):
        self.path = path
        self.W = {}
        self.expect_W = {}
        self.batches = []
        # `checkpoint_at t`: save, destroy and reload after the first t batches.
        self.checkpoint_at = None
        lines = []
        with open(path) as f:
            for line in f:
                s = line.strip()
                if s and not s.startswith("#"):
                    lines.append(s.split())
        it = iter(lines)
        for tok in it:
            key = tok[0]
            if key == "depth":
                self.depth = int(tok[1])
            elif key == "widths":
                self.widths = [int(x) for x in tok[1:]]
            elif key in ("eta", "lambda", "loss_before", "loss_after"):
                setattr(self, key if key != "lambda" else "lam", float(tok[1]))
            elif key in ("W", "expect_W"):
                layer, rows, cols = (int(x) for x in tok[1:4])
                m = np.array([[float(x) for x in next(it)] for _ in range(rows)])
                assert m.shape == (rows, cols), (path, key, layer)
                getattr(self, key)[layer] = m
            elif key == "obs":
                n = int(tok[1])
                recs = [next(it) for _ in range(n)]
                self.rows = np.array([int(r[0]) for r in recs], dtype=np.int64)
                self.cols = np.array([int(r[1]) for r in recs], dtype=np.int64)
                self.values = np.array([float(r[2]) for r in recs])
            elif key == "checkpoint_at":
                self.checkpoint_at = int(tok[1])
            elif key == "steps":
                for _ in range(int(tok[1])):
                    b = next(it)
                    assert b[0] == "batch" and len(b) == 2 + int(b[1]), (path, b)
                    self.batches.append(np.array([int(x) for x in b[2:]], dtype=np.int64))
            elif key == "svals_A":
                k = int(tok[1])
                self.svals_A = np.array([float(x) for x in tok[2:]])
                assert self.svals_A.size == k, path
            else:
                raise ValueError(f"{path}: unknown record {key!r}")
        assert len(self.widths) == self.depth + 1, path
        assert self.checkpoint_at is None or 0 <= self.checkpoint_at <= len(self.batches), path
        assert sorted(self.W) == sorted(self.expect_W) == list(range(1, self.depth + 1)), path


def rel_close(actual, expected, rtol=1e-10, scale=None):
    """|a - e| <= rtol * |e| entry by entry, or rtol * scale when a scale is
    given (singular values are only defined to an absolute accuracy of the
    order of sigma_1, so spectra are compared relative to sigma_1)."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    if a.shape != e.shape:
        return False
    bound = rtol * (np.abs(e) if scale is None else scale)
    return bool(np.all(np.abs(a - e) <= bound))
