"""Lifecycle, options and observables. Expected values are computed here with
numpy from the weights the library reports, independently of the library."""
import copy
import math
import pickle

import numpy as np
import pytest

import dlnsgd
from dlnsgd import BrField, Init, Param, RankMeasure, Sampler, Schedule, Status
from conftest import model_from, product


def close(a, b, rtol=1e-10, atol=1e-13):
    return np.allclose(a, b, rtol=rtol, atol=atol)


# ------------------------------------------------------------- lifecycle
def test_context_manager_closes():
    with dlnsgd.Model([3, 2, 4], seed=5) as m:
        assert not m.closed
        assert m.depth == 2
    assert m.closed
    m.close()  # idempotent
    assert "closed" in repr(m)


def test_context_manager_closes_on_exception():
    with pytest.raises(RuntimeError):
        with dlnsgd.Model([3, 2, 4]) as m:
            raise RuntimeError("boom")
    assert m.closed


def test_shape_seed_step_count():
    with dlnsgd.Model(np.array([5, 3, 3, 4]), seed=2**64 - 1) as m:
        assert m.depth == 3
        assert m.widths.dtype == np.int64 and m.widths.tolist() == [5, 3, 3, 4]
        assert m.seed == 2**64 - 1
        m.seed = 12
        assert m.seed == 12
        assert m.step_count == 0
        m.step_count = 17
        assert m.step_count == 17
        for layer, shape in ((1, (3, 5)), (2, (3, 3)), (3, (4, 3))):
            w = m.get_weights(layer)
            assert w.shape == shape and not w.any()  # weights start at zero
        assert "widths=[5, 3, 3, 4]" in repr(m)


def test_options_as_keywords_and_properties():
    with dlnsgd.Model([3, 3], learning_rate=0.05, ridge=0.01, batch_size=4,
                      sampler=Sampler.WITHOUT_REPLACEMENT, threads=1,
                      jump_interval=10, jump_rtol=1e-6, rank_atol=1e-12) as m:
        assert m.learning_rate == 0.05 and m.ridge == 0.01
        assert m.batch_size == 4 and isinstance(m.batch_size, int)
        assert m.sampler == Sampler.WITHOUT_REPLACEMENT
        assert m.threads == 1 and m.jump_interval == 10
        assert m.jump_rtol == 1e-6 and m.rank_atol == 1e-12
        m.learning_rate = 0.2
        assert m.get_param(Param.LEARNING_RATE) == 0.2
        m.configure(batch_size=2)
        assert m.get_param(Param.BATCH_SIZE) == 2.0


def test_param_bounds():
    for p in Param:
        lo, hi = dlnsgd.param_bounds(p)
        assert lo <= hi


def test_version():
    n = dlnsgd.version_number()
    assert dlnsgd.version_string() == f"{n // 10000}.{n // 100 % 100}.{n % 100}"
    assert n // 10000 == dlnsgd.ABI_MAJOR
    assert dlnsgd.library_path()


def test_clone_copy_pickle_are_independent(model):
    w1 = model.get_weights(1)
    for other in (model.clone(), copy.copy(model), copy.deepcopy(model),
                  pickle.loads(pickle.dumps(model))):
        with other:
            assert np.array_equal(other.get_weights(1), w1)
            assert other.learning_rate == model.learning_rate
            other.step_batch([0])
            assert not np.array_equal(other.get_weights(1), w1)
    assert np.array_equal(model.get_weights(1), w1)


def test_checkpoint_file_and_buffer(model, tmp_path):
    model.step(3)
    path = tmp_path / "state.dln"
    model.save(path)
    buf = model.save_buffer()
    assert isinstance(buf, bytes) and buf
    for m in (dlnsgd.Model.load(path), dlnsgd.Model.load(str(path)),
              dlnsgd.Model.load_buffer(buf), dlnsgd.Model.load_buffer(bytearray(buf))):
        with m:
            assert m.step_count == 3 and m.seed == model.seed
            assert m.widths.tolist() == model.widths.tolist()
            for a, b in zip(m.weights, model.weights):
                assert np.array_equal(a, b)
            m.step(2)
            model_copy = model.clone()
            model_copy.step(2)
            for a, b in zip(m.weights, model_copy.weights):
                assert np.array_equal(a, b)
            model_copy.close()


# ------------------------------------------------------------- stepping
def test_sampled_steps_reproducible_and_splittable(vec):
    with model_from(vec, batch_size=2) as a, model_from(vec, batch_size=2) as b:
        a.step(10)
        b.step(4)
        b.step(6)
        assert a.step_count == b.step_count == 10
        for x, y in zip(a.weights, b.weights):
            assert np.array_equal(x, y)


def test_subset_of_one_is_that_explicit_batch(vec):
    with model_from(vec, sampler=Sampler.SUBSET, batch_size=1) as a, model_from(vec) as b:
        a.set_sample_subset([3])
        a.step(1)
        b.step_batch([3])
        for x, y in zip(a.weights, b.weights):
            assert close(x, y, rtol=1e-14, atol=0)


def test_full_batch_is_the_whole_set(vec):
    with model_from(vec, sampler=Sampler.FULL_BATCH) as a, model_from(vec) as b:
        a.step(2)
        n = b.observation_count
        b.step_batch(np.arange(n))
        b.step_batch(np.arange(n))
        for x, y in zip(a.weights, b.weights):
            assert close(x, y, rtol=1e-12, atol=1e-15)


def test_last_step_formulation_reports_the_engine_choice(vec):
    with model_from(vec) as m:
        assert m.last_step_formulation == dlnsgd.Formulation.NONE
        m.step_batch([0])
        assert m.last_step_formulation in (dlnsgd.Formulation.SMALL_WIDTH, dlnsgd.Formulation.SINGLE_ENTRY,
                                           dlnsgd.Formulation.CHAINS)


def test_schedule_value():
    with dlnsgd.Model([2, 2], learning_rate=0.1, ridge=0.01) as m:
        m.set_schedule(Param.LEARNING_RATE, Schedule.EXPONENTIAL, [0.5])
        for t in (0, 1, 3):
            assert close(m.schedule_value(Param.LEARNING_RATE, t), 0.1 * 0.5**t)
        m.set_schedule(Param.RIDGE, Schedule.STEP_DECAY, [0.5, 10])
        assert close(m.schedule_value(Param.RIDGE, 25), 0.01 * 0.25)
        m.set_schedule(Param.RIDGE, Schedule.CONSTANT)
        assert m.schedule_value(Param.RIDGE, 25) == 0.01


# ------------------------------------------------------------ observables
def test_losses_norms_and_spectra(model, vec):
    ws = model.weights
    a = product(ws)
    norm2 = sum(float(np.sum(w * w)) for w in ws)
    data, ridge = model.loss()
    assert close(data, np.mean((a[vec.rows, vec.cols] - vec.values) ** 2))
    assert close(ridge, vec.lam * norm2)
    assert close(model.weight_norm2(), norm2)
    s = np.linalg.svd(a, compute_uv=False)[: min(vec.widths)]
    assert close(model.singular_values(), s, atol=1e-12 * s[0])
    for layer, w in enumerate(ws, start=1):
        assert close(model.layer_singular_values(layer), np.linalg.svd(w, compute_uv=False))
    for k in range(1, vec.depth):
        mk = np.hstack([ws[k - 1], ws[k].T])
        assert close(model.bottleneck_singular_values(k), np.linalg.svd(mk, compute_uv=False))
    L = vec.depth
    assert close(model.representation_cost(), L * np.sum(s ** (2.0 / L)))
    gaps = [np.linalg.norm(ws[l + 1].T @ ws[l + 1] - ws[l] @ ws[l].T, 2) for l in range(L - 1)]
    assert close(model.balancedness(), max(gaps))
    assert close(model.output_column_norms(), np.linalg.norm(ws[-1], axis=0))
    assert close(model.input_row_norms(), np.linalg.norm(ws[0], axis=1))


def test_ranks(model):
    ws = model.weights
    s = np.linalg.svd(product(ws), compute_uv=False)[: min(model.widths)]
    rtol = float(np.sqrt(s[1] * s[2]) / s[0])  # between two singular values
    assert model.query_rank(rtol) == np.sum(s > rtol * s[0])
    assert model.rank(0, RankMeasure.NUMERICAL, 0.0, rtol) == np.sum(s > rtol * s[0])
    p = s / s.sum()
    assert close(model.rank(0, RankMeasure.EFFECTIVE), math.exp(-np.sum(p * np.log(p))))
    assert close(model.rank(0, RankMeasure.STABLE), np.sum(s**2) / s[0] ** 2)
    sl = np.linalg.svd(ws[0], compute_uv=False)
    assert close(model.rank(1, RankMeasure.STABLE), np.sum(sl**2) / sl[0] ** 2)
    shuffled = s[::-1].copy()
    assert close(dlnsgd.rank_of_spectrum(shuffled, RankMeasure.STABLE),
                 np.sum(s**2) / s[0] ** 2)
    assert dlnsgd.rank_of_spectrum(s, RankMeasure.NUMERICAL, 0.0, rtol) == np.sum(
        s > rtol * s[0])
    ranks = model.bottleneck_ranks(0.0, 1e-12)
    assert ranks.dtype == np.int64 and ranks.size == model.depth - 1
    for k in range(1, model.depth):
        mk = np.hstack([ws[k - 1], ws[k].T])
        sk = np.linalg.svd(mk, compute_uv=False)
        assert ranks[k - 1] == np.sum(sk > 1e-12 * sk[0])


def test_absorbing_sets(model, vec):
    ws = model.weights
    norm2 = model.weight_norm2()
    rep = model.Br_report(1)
    assert rep.shape == (dlnsgd.BR_REPORT_SIZE,)
    assert close(rep[BrField.NORM2], norm2)
    lam = model.ridge
    y2 = np.mean(np.asarray(vec.values) ** 2)
    assert close(rep[BrField.C], 4 * y2 / lam) if lam > 0 else np.isinf(rep[BrField.C])  # math §6
    assert rep[BrField.RHO] == np.max(np.abs(vec.values))
    assert close(rep[BrField.BALANCE], model.balancedness())
    sig = max(np.linalg.svd(np.hstack([ws[k - 1], ws[k].T]), compute_uv=False)[1]
              for k in range(1, model.depth))
    assert close(rep[BrField.SIGMA], sig)
    assert rep[BrField.INSIDE] == float(model.in_Br(1))
    r = model.query_absorbed_rank()
    assert model.in_Br(r)
    if r > 0:
        assert not model.in_Br(r - 1)
    # explicit thresholds: everything passes with huge bounds
    assert model.in_Br(0, eps=1e300, delta=1e300, C=1e300)
    rep = model.Br_report(0, 1e300, 1e300, 1e300)
    assert rep[BrField.EPS] == 1e300 and rep[BrField.INSIDE] == 1.0


def test_test_error(model, vec):
    n, m = vec.widths[-1], vec.widths[0]
    a = product(model.weights)
    truth = np.arange(n * m, dtype=float).reshape(n, m) / (n * m)
    model.set_test_observations([0, n - 1], [m - 1, 0], [0.5, -0.5])
    assert close(model.test_error(),
                 ((a[0, m - 1] - 0.5) ** 2 + (a[n - 1, 0] + 0.5) ** 2) / 2)
    model.set_ground_truth(truth)  # takes precedence
    assert close(model.test_error(), np.mean((a - truth) ** 2))
    model.set_ground_truth(None)
    model.set_test_observations([], [], [])
    with pytest.raises(dlnsgd.DlnError) as info:
        model.test_error()
    assert info.value.status == Status.ERR_STATE


def test_initialisations():
    with dlnsgd.Model([4, 3, 5], seed=3) as m:
        m.init_weights(Init.IDENTITY, [2.0])
        assert np.array_equal(m.get_weights(1), 2.0 * np.eye(3, 4))
        assert np.array_equal(m.get_weights(2), 2.0 * np.eye(5, 3))
        m.init_weights(Init.GAUSSIAN, [0.5])
        first = m.weights
        m.init_weights(Init.GAUSSIAN, [0.5])  # same seed, same draw
        assert all(np.array_equal(a, b) for a, b in zip(first, m.weights))
        rng = np.random.default_rng(0)
        a0 = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 4))
        m.init_balanced(a0)
        assert close(product(m.weights), a0, atol=1e-12)
        assert m.balancedness() < 1e-10


def test_jump_log(model):
    assert model.jump_count == 0
    assert model.get_jumps().shape == (0, dlnsgd.JUMP_RECORD_SIZE)
    model.jump_interval = 1
    model.step(5)
    n = model.jump_count
    recs = model.get_jumps()
    assert recs.shape == (n, dlnsgd.JUMP_RECORD_SIZE) and recs.dtype == np.int64
    model.clear_jumps()
    assert model.jump_count == 0


def test_trace_rank_changes_and_gradient_as_arrays(vec):
    """The trace and the rank-change log come out as numpy record arrays whose
    fields are the header's; recording changes nothing in the run."""
    with model_from(vec) as traced, model_from(vec) as plain:
        traced.trace_interval = 5
        traced.jump_interval = 1
        traced.step(20)
        plain.step(20)
        for a, b in zip(traced.weights, plain.weights):
            assert np.array_equal(a, b)
        t = traced.trace()
        assert t.shape == (4,) and list(t["step"]) == [5, 10, 15, 20]
        assert set(t.dtype.names) == {f.name.lower() for f in dlnsgd.TraceField}
        cost, _ = traced.loss()
        assert t["data_cost"][-1] == cost
        report, per_layer = traced.gradient_norm()
        assert t["gradient_norm"][-1] == report[dlnsgd.GradientField.NORM]
        assert per_layer.shape == (traced.depth,)
        assert np.isclose(np.sqrt(np.sum(per_layer ** 2)), report[dlnsgd.GradientField.NORM])
        changes = traced.rank_changes()
        assert changes.shape == (traced.rank_change_count,)
        traced.clear_trace()
        assert traced.trace_count == 0
