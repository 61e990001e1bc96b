"""Every SGD vector replayed through the binding: explicit batches via
dln_step_batch (with the save/load round trip of a `checkpoint_at` record),
then weights, losses and singular values to 1e-10 relative."""
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
        for t, batch in enumerate(v.batches):
            if t == v.checkpoint_at:
                # The whole state through Model.save_buffer, the handle
                # destroyed, the run continued on the loaded model.
                data = m.save_buffer()
                m.close()
                m = dlnsgd.Model.load_buffer(data)
            m.step_batch(batch)
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
        m.close()


def test_a_vector_has_a_checkpoint_record():
    assert any(Vector(p).checkpoint_at is not None for p in FILES)


@pytest.mark.parametrize("path", [p for p in FILES if Vector(p).checkpoint_at is not None],
                         ids=lambda p: os.path.basename(p))
def test_checkpoint_file_round_trip_changes_no_bit(path, tmp_path):
    """The record's round trip through a file (Model.save / Model.load): the
    resumed run equals the uninterrupted one bit for bit."""
    v = Vector(path)
    with model_from(v) as straight, model_from(v) as first:
        for batch in v.batches:
            straight.step_batch(batch)
        for batch in v.batches[:v.checkpoint_at]:
            first.step_batch(batch)
        first.save(str(tmp_path / "mid.dln"))
        with dlnsgd.Model.load(str(tmp_path / "mid.dln")) as resumed:
            for batch in v.batches[v.checkpoint_at:]:
                resumed.step_batch(batch)
            for layer in range(1, v.depth + 1):
                assert np.array_equal(straight.get_weights(layer), resumed.get_weights(layer))


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
