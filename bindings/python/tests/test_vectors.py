"""Every shared SGD vector replayed through the binding: explicit batches via
dln_step_batch, then weights, losses and singular values to 1e-10 relative."""
import os

import numpy as np
import pytest

import dlnsgd
from conftest import model_from
import vectors
from vectors import Vector, rel_close, vector_files

FILES = vector_files()


def test_vectors_present():
    assert FILES, f"no *.txt test vectors in {vectors.testdata_dir()}"


def replay(m, v):
    """The batches of v on m; at `checkpoint_at t` the state goes through
    save_buffer / load_buffer and m is closed: returns the model that ran."""
    for t, batch in enumerate(v.batches):
        if t == v.checkpoint_at:
            m = checkpoint_round_trip(m, t)
        m.step_batch(batch)
    if v.checkpoint_at == len(v.batches):
        m = checkpoint_round_trip(m, len(v.batches))
    return m


def checkpoint_round_trip(m, t):
    loaded = dlnsgd.Model.load_buffer(m.save_buffer())
    m.close()
    assert loaded.step_count == t
    return loaded


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(p) for p in FILES])
def test_vector(path):
    v = Vector(path)
    m = model_from(v)
    try:
        assert m.depth == v.depth
        assert m.widths.tolist() == v.widths
        assert m.observation_count == v.values.size
        for layer, w in v.W.items():
            assert np.array_equal(m.get_weights(layer), w)
        data, ridge = m.loss()
        assert rel_close(data + ridge, v.loss_before), (data + ridge, v.loss_before)
        m = replay(m, v)
        assert m.step_count == len(v.batches)
        for layer, w in v.expect_W.items():
            got = m.get_weights(layer)
            assert rel_close(got, w), (layer, np.max(np.abs(got - w) / np.abs(w)))
        data, ridge = m.loss()
        assert rel_close(data + ridge, v.loss_after), (data + ridge, v.loss_after)
        # The library reports k = min_l n_l values (header); the vectors list
        # all min(n, m) of the dense A, whose extra ones are zero up to
        # rounding since rank(A) <= min_l n_l.
        s = m.singular_values()
        k = min(v.widths)
        assert s.size == k and v.svals_A.size == min(v.widths[0], v.widths[-1])
        s1 = v.svals_A[0]
        assert rel_close(s, v.svals_A[:k], scale=s1), (s, v.svals_A)
        assert rel_close(np.zeros(v.svals_A.size - k), v.svals_A[k:], scale=s1)
    finally:
        m.close()  # idempotent; replay closed the first one


@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(p) for p in FILES])
def test_vector_steps_split_over_clones(path):
    """Half the batches, a checkpoint round trip, the other half: the same
    weights bit for bit (the state is whole in a checkpoint)."""
    v = Vector(path)
    half = len(v.batches) // 2
    with model_from(v) as a:
        for batch in v.batches:
            a.step_batch(batch)
        with model_from(v) as b:
            for batch in v.batches[:half]:
                b.step_batch(batch)
            with dlnsgd.Model.load_buffer(b.save_buffer()) as c:
                for batch in v.batches[half:]:
                    c.step_batch(batch)
                for layer in range(1, v.depth + 1):
                    assert np.array_equal(a.get_weights(layer), c.get_weights(layer))
