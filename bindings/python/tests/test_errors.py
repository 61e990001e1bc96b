"""Statuses reach Python as DlnError with the C library's own name and
message, and a failing call leaves the handle as it was."""
import ctypes
import math

import numpy as np
import pytest

import dlnsgd
from dlnsgd import DlnError, Param, Status
from dlnsgd import _lib


def raw_last_error(m):
    return _lib.text(_lib.lib().dln_last_error(m._h))


def expect(status, fn, *args, **kw):
    with pytest.raises(DlnError) as info:
        fn(*args, **kw)
    e = info.value
    assert e.status == status, (e.status, e.name, e.message)
    assert e.name == "DLN_" + Status(status).name
    assert e.name == dlnsgd.status_name(status)
    assert e.description == dlnsgd.status_string(status)
    assert e.message, "the library gave no message"
    assert e.name in str(e) and e.message in str(e)
    return e


def snapshot(m, with_loss=True):
    return ([w.copy() for w in m.weights], m.step_count, m.learning_rate, m.ridge,
            m.observation_count, m.loss() if with_loss else None)


def same(a, b):
    wa, *ra = a
    wb, *rb = b
    return all(np.array_equal(x, y) for x, y in zip(wa, wb)) and ra == rb


def test_status_names_and_strings():
    for s in Status:
        assert dlnsgd.status_name(s) == "DLN_" + s.name
        assert dlnsgd.status_string(s)
    assert dlnsgd.status_name(-99) == "DLN_UNKNOWN_STATUS"
    assert dlnsgd.status_string(-99) == "unknown status"


def test_param_names():
    for p in Param:
        assert dlnsgd.param_name(p) == "DLN_PARAM_" + p.name
    assert dlnsgd.param_name(0) is None
    assert dlnsgd.param_name(max(Param) + 1) is None


def test_message_is_dln_last_error(model):
    e = expect(Status.ERR_NOT_FINITE, model.set_param, Param.LEARNING_RATE, math.nan)
    assert e.function == "dln_set_param"
    assert e.message == raw_last_error(model)


def test_invalid_input_leaves_state(model):
    before = snapshot(model)
    expect(Status.ERR_NOT_FINITE, model.set_param, Param.RIDGE, math.inf)
    expect(Status.ERR_UNKNOWN_PARAM, model.set_param, 99, 1.0)
    expect(Status.ERR_UNKNOWN_PARAM, model.get_param, 99)
    n = model.observation_count
    expect(Status.ERR_OUT_OF_RANGE, model.step_batch, [0, n])
    expect(Status.ERR_OUT_OF_RANGE, model.step_batch, [-1])
    w = model.widths
    expect(Status.ERR_OUT_OF_RANGE, model.set_observations, [w[-1]], [0], [1.0])
    expect(Status.ERR_OUT_OF_RANGE, model.set_observations, [0], [w[0]], [1.0])
    expect(Status.ERR_NOT_FINITE, model.set_observations, [0], [0], [math.nan])
    bad = model.get_weights(1)
    bad[0, 0] = math.nan
    expect(Status.ERR_NOT_FINITE, model.set_weights, 1, bad)
    assert same(before, snapshot(model))


def test_bad_layer_index(model):
    for layer in (0, model.depth + 1, -1):
        expect(Status.ERR_OUT_OF_RANGE, model.get_weights, layer)
        expect(Status.ERR_OUT_OF_RANGE, model.set_weights, layer, np.zeros((1, 1)))
        expect(Status.ERR_OUT_OF_RANGE, model.layer_singular_values, layer)


def test_test_error_needs_a_test_set(model):
    expect(Status.ERR_STATE, model.test_error)


def test_decay_factor_must_stay_positive(model):
    """2 eta lambda >= 1 is invalid input (math §3); the state is kept."""
    before = snapshot(model)
    eta = model.learning_rate
    with pytest.raises(DlnError) as info:
        model.ridge = 0.5 / eta
    assert info.value.status == Status.ERR_INVALID_ARGUMENT
    assert info.value.message
    assert same(before, snapshot(model))


def test_create_errors_name_the_argument():
    with pytest.raises(DlnError) as info:
        dlnsgd.Model([3, 0, 4])
    e = info.value
    assert e.status == Status.ERR_INVALID_ARGUMENT and e.name == "DLN_ERR_INVALID_ARGUMENT"
    assert e.function == "dln_create_ex"
    # No handle: dln_create_ex writes the detail into the binding's buffer.
    assert e.message == "dln_create: widths[1]=0 must be in [1, 2^40]"
    for widths in ([], [3]):  # depth -1 and 0
        with pytest.raises(DlnError) as info:
            dlnsgd.Model(widths)
        assert info.value.status == Status.ERR_INVALID_ARGUMENT


def test_handle_free_errors():
    e = expect(Status.ERR_UNKNOWN_PARAM, dlnsgd.param_bounds, 99)
    assert e.function == "dln_param_bounds_ex"
    # The _ex forms put the argument and its value into the message (issue 14).
    assert e.message == "dln_param_bounds: param=99 is not a DLN_PARAM_* id"
    with pytest.raises(DlnError) as info:
        dlnsgd.rank_of_spectrum([1.0, math.nan], dlnsgd.RankMeasure.STABLE)
    assert info.value.message == "dln_rank_of_spectrum: sigma[1]=nan is not finite"
    with pytest.raises(DlnError) as info:
        dlnsgd.Model.load_buffer(b"not a checkpoint")
    assert info.value.status == Status.ERR_FORMAT
    assert info.value.message.startswith("dln_load_buffer: ")  # the detail, through dln_load_buffer_ex


def test_load_missing_file(tmp_path):
    with pytest.raises(DlnError) as info:
        dlnsgd.Model.load(tmp_path / "missing.dln")
    assert info.value.status == Status.ERR_IO


def test_divergence_keeps_the_state_and_names_the_step():
    """A = 1e300 I at depth 3: the gradient of every layer overflows."""
    with dlnsgd.Model([2, 2, 2, 2], seed=1, learning_rate=0.1, ridge=0.0) as m:
        for layer in (1, 2, 3):
            m.set_weights(layer, np.eye(2) * 1e100)
        m.set_observations([0, 1], [0, 1], [1.0, -1.0])
        m.step_count = 41
        before = snapshot(m, with_loss=False)
        e = expect(Status.ERR_DIVERGED, m.step_batch, [0])
        assert "41" in e.message
        assert same(before, snapshot(m, with_loss=False))
        e = expect(Status.ERR_DIVERGED, m.step, 3)
        assert "41" in e.message
        assert same(before, snapshot(m, with_loss=False))


def test_closed_handle_is_a_null_pointer(model):
    model.close()
    e = expect(Status.ERR_NULL_POINTER, model.loss)
    assert e.message == _lib.text(_lib.lib().dln_last_error(None))
    expect(Status.ERR_NULL_POINTER, model.step, 1)
    expect(Status.ERR_NULL_POINTER, lambda: model.depth)


def test_binding_type_checks_are_python_errors(model):
    with pytest.raises(ValueError):
        model.set_weights(1, np.zeros((1, 1)))
    with pytest.raises(ValueError):
        model.set_observations([0, 1], [0], [1.0])
    with pytest.raises(TypeError):
        model.step_batch([0.5])
    with pytest.raises(TypeError):
        dlnsgd.Model([2, 2], no_such_option=1)
    with pytest.raises(OverflowError):
        dlnsgd.Model([2, 2], seed=-1)
