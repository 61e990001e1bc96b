import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from vectors import Vector, vector_files  # noqa: E402

import dlnsgd  # noqa: E402


@pytest.fixture
def vec():
    """The first test vector of depth >= 3 (for observable tests)."""
    for p in vector_files():
        v = Vector(p)
        if v.depth >= 3:
            return v
    pytest.fail("no test vector of depth >= 3 found")


def model_from(v, **options):
    m = dlnsgd.Model(v.widths, seed=7, learning_rate=v.eta, ridge=v.lam, **options)
    for layer, w in v.W.items():
        m.set_weights(layer, w)
    m.set_observations(v.rows, v.cols, v.values)
    return m


def product(ws):
    """A = W_L ... W_1 from [W_1, ..., W_L]."""
    a = ws[0]
    for w in ws[1:]:
        a = w @ a
    return a


@pytest.fixture
def model(vec):
    m = model_from(vec)
    yield m
    m.close()
