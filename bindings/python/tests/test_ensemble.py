"""dlnsgd.ensemble, dlnsgd.summary, the Ensemble handle and the statistics
calls, against the real library: each number comes from the library, and
the tests recompute what they can through independent single-handle calls."""
import math
import re

import numpy as np
import pytest

import dlnsgd
from vectors import header_path


def decaying_state(history=300):
    """A fully observed rank-1 6 x 6 target (singular value 3), depth 4:
    weight decay takes the absorbed rank from 6 to 1 within ~2000 steps."""
    rng = np.random.default_rng(4)
    u, v = rng.standard_normal(6), rng.standard_normal(6)
    target = 3.0 * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    rows, cols = np.meshgrid(range(6), range(6), indexing="ij")
    m = dlnsgd.Model([6] * 5, seed=3, ridge=0.01, learning_rate=0.1, jump_interval=50)
    m.set_observations(rows.ravel(), cols.ravel(), target.ravel())
    m.set_test_observations(rows.ravel()[:5], cols.ravel()[:5], target.ravel()[:5])
    m.init_weights(dlnsgd.Init.END_TO_END, [1.0])
    m.step(history)
    return m


@pytest.fixture(scope="module")
def state():
    m = decaying_state()
    yield m
    m.close()


def test_z95_matches_the_header():
    text = header_path().read_text()
    assert float(re.search(r"#define DLN_Z_95 ([0-9.e-]+)", text).group(1)) == dlnsgd.Z_95


def test_wilson_interval_of_0_5_10_in_10_is_the_textbook_one():
    # Hand computation in tests/test_statistics.cpp; Newcombe (1998).
    assert dlnsgd.wilson_interval(0, 10) == (0.0, pytest.approx(0.277533, abs=1e-6))
    lo, hi = dlnsgd.wilson_interval(5, 10)
    assert lo == pytest.approx(0.236593, abs=1e-6) and hi == pytest.approx(0.763407, abs=1e-6)
    assert dlnsgd.wilson_interval(10, 10) == (pytest.approx(0.722467, abs=1e-6), 1.0)


def test_kaplan_meier_of_a_small_censored_sample_is_the_hand_computation():
    # 1, 2+, 3, 3, 3+, 5, 7+: S = 6/7, 6/7, 18/35, 9/35, 9/35 (tests/test_statistics.cpp).
    km = dlnsgd.kaplan_meier([5, 1, 3, 7, 3, 2, 3], [0, 0, 1, 1, 0, 1, 0])
    assert km.time.tolist() == [1, 2, 3, 5, 7]
    assert km.at_risk.tolist() == [7, 6, 5, 2, 1]
    np.testing.assert_allclose(km.survival, [6 / 7, 6 / 7, 18 / 35, 9 / 35, 9 / 35], rtol=1e-14)
    np.testing.assert_allclose(km.std_error[[0, 2, 3]],
                               [6 / 7 * math.sqrt(1 / 42), 18 / 35 * math.sqrt(11 / 70),
                                9 / 35 * math.sqrt(23 / 35)], rtol=1e-13)
    assert dlnsgd.kaplan_meier_median([5, 1, 3, 7, 3, 2, 3], [0, 0, 1, 1, 0, 1, 0]) == (
        5.0, 1.0, math.inf)


def test_statistics_errors_carry_the_library_message():
    with pytest.raises(dlnsgd.DlnError) as err:
        dlnsgd.wilson_interval(11, 10)
    assert err.value.name == "DLN_ERR_INVALID_ARGUMENT"
    assert err.value.message == "dln_wilson_interval: successes=11 is outside [0, trials=10]"
    with pytest.raises(dlnsgd.DlnError, match=r"censored\[1\]=2"):
        dlnsgd.kaplan_meier([1, 2], [0, 2])
    with pytest.raises(ValueError):
        dlnsgd.kaplan_meier([1, 2], [0])


def test_clone_fresh_resets_seed_step_and_logs(state):
    assert state.step_count == 300
    c = dlnsgd.clone_fresh(state, 77)
    assert (c.seed, c.step_count, c.trace_count, c.rank_change_count) == (77, 0, 0, 0)
    for a, b in zip(c.weights, state.weights):
        np.testing.assert_array_equal(a, b)
    kept = dlnsgd.clone_fresh(state, 77, dlnsgd.CloneFlag.RESET_STEP)
    assert (kept.seed, kept.step_count) == (3, 0)


def test_ensemble_returns_one_record_per_grid_point_and_seed(state):
    runs = dlnsgd.ensemble(state, r=1, horizon=2400, trials=3, etas=[0.05, 0.1],
                           lambdas=[0.01], batches=[1, 2], check_every=20, threads=2, seed=10)
    assert len(runs) == 2 * 1 * 2 * 3
    for name in ["eta", "lambda", "batch", "seed", "entry_step", "censored", "exits",
                 "final_absorbed_rank", "train_mse", "test_mse"]:
        assert name in runs.dtype.names
    assert runs["eta"].tolist() == [0.05] * 6 + [0.1] * 6
    assert runs["batch"].tolist() == [1, 1, 1, 2, 2, 2] * 2
    assert runs["seed"].tolist() == [10, 11, 12] * 4
    assert (runs["status"] == 0).all()
    assert (runs["step"] == 2400).all()
    entered = ~runs["censored"]
    assert entered.any()
    assert (runs["entry_step"][entered] % 20 == 0).all()
    assert (runs["entry_step"][~entered] == -1).all()
    assert (runs["time"] == np.where(runs["censored"], 2400, runs["entry_step"])).all()
    assert np.isfinite(runs["test_mse"]).all()
    # Each run is a fresh clone with its seed and options, watched by hand.
    i = 8  # eta 0.1, batch 1, seed 12
    alone = dlnsgd.clone_fresh(state, int(runs["seed"][i]))
    alone.configure(learning_rate=0.0, ridge=0.01)
    alone.configure(learning_rate=0.1, batch_size=1)
    entry, exits, inside = -1, 0, False
    for t in range(0, 2401, 20):
        now = alone.in_Br(1)
        if now and entry < 0:
            entry = t
        exits += (inside and not now)
        inside = now
        if t < 2400:
            alone.step(20)
    assert (runs["entry_step"][i], runs["exits"][i]) == (entry, exits)
    assert runs["final_absorbed_rank"][i] == alone.query_absorbed_rank()
    assert runs["train_mse"][i] == alone.loss()[0]
    assert runs["test_mse"][i] == alone.test_error()


def test_ensemble_results_do_not_depend_on_the_thread_count(state):
    kwargs = dict(r=1, horizon=1500, trials=4, etas=[0.1], batches=[1, 3], check_every=10)
    one = dlnsgd.ensemble(state, threads=1, **kwargs)
    two = dlnsgd.ensemble(state, threads=2, **kwargs)
    assert one.tobytes() == two.tobytes()


def test_ensemble_from_a_saved_state_path(state, tmp_path):
    path = tmp_path / "state.dln"
    state.save(path)
    from_path = dlnsgd.ensemble(path, r=1, horizon=500, trials=2, check_every=50)
    from_model = dlnsgd.ensemble(state, r=1, horizon=500, trials=2, check_every=50)
    assert from_path.tobytes() == from_model.tobytes()
    assert from_path["eta"].tolist() == [0.1, 0.1]  # the state's own value


def test_summary_is_the_library_statistics_of_each_grid_point(state):
    runs = dlnsgd.ensemble(state, r=1, horizon=2000, trials=4, etas=[0.05, 0.1],
                           check_every=20, threads=2)
    s = dlnsgd.summary(runs)
    assert len(s) == 2
    for row in s:
        sel = runs[runs["eta"] == row["eta"]]
        k = int((~sel["censored"]).sum())
        assert (row["trials"], row["entered"]) == (4, k)
        assert row["p_enter"] == k / 4
        assert (row["p_lower"], row["p_upper"]) == dlnsgd.wilson_interval(k, 4)
        med = dlnsgd.kaplan_meier_median(sel["time"], sel["censored"])
        np.testing.assert_array_equal([row["median"], row["median_lower"], row["median_upper"]],
                                      med)
        assert row["exits"] == sel["exits"].sum()
        assert (row["stopped"], row["horizon"]) == (0, 2000)


def test_a_diverging_run_is_a_censored_result_not_an_exception(state):
    runs = dlnsgd.ensemble(state, r=1, horizon=300, trials=2, etas=[0.1, 1e6], lambdas=[0.0],
                           check_every=10)
    assert runs["status"][:2].tolist() == [0, 0]
    assert runs["status"][2:].tolist() == [int(dlnsgd.Status.ERR_DIVERGED)] * 2
    assert runs["censored"][2:].all() and (runs["step"][2:] < 300).all()
    s = dlnsgd.summary(runs)
    assert s["stopped"].tolist() == [0, 2]
    assert s["entered"][1] == 0 and s["horizon"][1] < 300


def test_the_ensemble_handle_reports_bad_input_with_the_library_message(state):
    with dlnsgd.Ensemble(state, [1, 2]) as e:
        assert e.size == 2
        with pytest.raises(dlnsgd.DlnError) as err:
            e.watch(1, 0)
        assert err.value.message == "dln_ensemble_watch: check_every=0 must be >= 1"
        with pytest.raises(dlnsgd.DlnError, match="not stepped|no dln_ensemble_step"):
            e.result(dlnsgd.MemberField.STEP)
        e.set_param(dlnsgd.Param.LEARNING_RATE, 0.05, member=1)
        assert e.get_param(dlnsgd.Param.LEARNING_RATE, 1) == 0.05
        assert e.get_param(dlnsgd.Param.LEARNING_RATE, 0) == 0.1
        e.watch(1, 10)
        e.step(100, threads=2)
        assert e.result(dlnsgd.MemberField.STEP).tolist() == [100, 100]
        m = e.member(1)
        assert (m.seed, m.step_count, m.learning_rate) == (2, 100, 0.05)
    with pytest.raises(dlnsgd.DlnError) as err:
        dlnsgd.Ensemble(state, [])
    assert "members=0" in err.value.message


def test_the_gil_is_released_while_the_library_steps(state):
    # While one Python thread is inside dln_ensemble_step, another keeps running:
    # with the GIL held it could not run a single iteration until the call returned.
    import threading
    with dlnsgd.Ensemble(state, list(range(4))) as e:
        e.watch(1, 1000)
        started, done = threading.Event(), threading.Event()

        def run():
            started.set()
            e.step(100000, threads=1)
            done.set()

        worker = threading.Thread(target=run)
        worker.start()
        started.wait()
        iterations = 0
        while not done.is_set():
            iterations += 1
        worker.join()
        assert iterations > 1000
        assert e.result(dlnsgd.MemberField.STEP).tolist() == [100000] * 4
