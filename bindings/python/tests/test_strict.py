"""Argument conversion is strict, like the standard library (issue 14 class 6):
integers take only what operator.index takes and must fit their C type
(OverflowError, never wrapped), doubles never take strings (TypeError), paths
with a NUL byte are refused (ValueError), nested lists are not flattened, and
a multi-part assignment that fails changes nothing."""
import math

import numpy as np
import pytest

import dlnsgd
from dlnsgd import DlnError, Param, RankMeasure, Status


@pytest.fixture
def model():
    m = dlnsgd.Model([3, 4, 2], seed=5)
    m.set_weights(1, np.arange(12.0).reshape(4, 3) / 10)
    m.set_weights(2, np.arange(8.0).reshape(2, 4) / 10)
    m.set_observations([0, 1], [2, 0], [1.0, -1.0])
    return m


def test_param_ids_that_overflow_int32_raise_overflow_error(model):
    before = model.learning_rate
    for bad in (2**32 + Param.LEARNING_RATE, 2**31, -(2**31) - 1, 2**64 + 1):
        with pytest.raises(OverflowError, match="does not fit in a C int"):
            model.set_param(bad, 0.5)
        with pytest.raises(OverflowError):
            model.get_param(bad)
    assert model.learning_rate == before
    with pytest.raises(OverflowError):
        dlnsgd.param_bounds(2**32 + 1)
    with pytest.raises(OverflowError):
        dlnsgd.rank_of_spectrum([1.0], 2**32)
    with pytest.raises(OverflowError):
        model.set_schedule(2**32 + Param.RIDGE, dlnsgd.Schedule.CONSTANT)


def test_floats_and_strings_where_ints_are_expected_raise_type_error(model):
    before = model.learning_rate
    for bad in (1.9, 1.0, "1", b"1", None, np.float64(1.0)):
        with pytest.raises(TypeError):
            model.set_param(bad, 0.02)
    assert model.learning_rate == before
    with pytest.raises(TypeError):
        model.step(2.0)
    with pytest.raises(TypeError):
        model.rank(0, "0")
    with pytest.raises(TypeError):
        model.init_weights(1.5, [1.0])
    with pytest.raises(TypeError):
        model.layer_singular_values("1")
    with pytest.raises(TypeError):
        model.seed = 3.0
    with pytest.raises(TypeError):
        dlnsgd.Model([3.0, 2.0])
    # Integers in any form operator.index accepts still work.
    model.set_param(np.int32(int(Param.LEARNING_RATE)), 0.02)
    assert model.learning_rate == 0.02


def test_strings_are_not_numbers(model):
    with pytest.raises(TypeError, match="value must be a real number, not str"):
        model.set_param(Param.LEARNING_RATE, "0.02")
    with pytest.raises(TypeError):
        model.learning_rate = "0.5"
    with pytest.raises(TypeError):
        model.set_observations([0], [0], ["1.5"])
    with pytest.raises(TypeError):
        model.set_observations([0], [0], np.array([b"1.5"]))
    with pytest.raises(TypeError):
        model.set_weights(1, [["1"] * 3] * 4)
    with pytest.raises(TypeError):
        model.set_schedule(Param.RIDGE, dlnsgd.Schedule.EXPONENTIAL, ["0.5"])
    with pytest.raises(TypeError):
        model.set_observations([0, 1], [2, 0], [1.0, "2"])  # a str inside an object array
    with pytest.raises(TypeError):
        dlnsgd.rank_of_spectrum("12", RankMeasure.STABLE)
    with pytest.raises(TypeError):
        model.query_rank("0.1")
    with pytest.raises(TypeError):
        model.in_Br(1, eps="0.1")
    with pytest.raises(TypeError):
        model.set_observations([0], [0], [1 + 2j])
    with pytest.raises(TypeError):
        dlnsgd.Model.load_buffer("not bytes")
    assert model.observation_count == 2  # none of that reached the model


def test_uint64_indices_at_or_beyond_2_63_raise_overflow_error(model):
    for bad in (np.uint64(2**63), np.uint64(2**64 - 1)):
        with pytest.raises(OverflowError):
            model.set_observations(np.array([bad], dtype=np.uint64), [0], [1.0])
        with pytest.raises(OverflowError):
            model.step_batch(np.array([0, bad], dtype=np.uint64))
        with pytest.raises(OverflowError):
            model.layer_singular_values(bad)
        with pytest.raises(OverflowError):
            model.set_sample_subset(np.array([bad], dtype=np.uint64))
    with pytest.raises(OverflowError):
        model.set_observations([2**64], [0], [1.0])  # a Python int beyond 64 bits
    with pytest.raises(OverflowError):
        model.step(2**63)
    assert model.observation_count == 2
    model.step_batch(np.array([1, 0], dtype=np.uint64))  # small uint64 values are fine


def test_a_nul_byte_in_a_path_raises_value_error(model, tmp_path):
    path = tmp_path / "a\0b"
    with pytest.raises(ValueError, match="embedded null byte"):
        model.save(str(path))
    with pytest.raises(ValueError, match="embedded null byte"):
        model.save(bytes(tmp_path / "a") + b"\0b")
    assert not (tmp_path / "a").exists()  # nothing was written at the cut-off name
    with pytest.raises(ValueError):
        dlnsgd.Model.load(str(tmp_path / "x\0y"))


def test_a_failed_weights_assignment_changes_nothing(model):
    before = model.save_buffer()
    ok = np.ones((4, 3))
    with pytest.raises(DlnError) as info:
        model.weights = [ok, np.full((2, 4), math.nan)]
    assert info.value.status == Status.ERR_NOT_FINITE
    assert model.save_buffer() == before  # layer 1 untouched, the whole state byte for byte
    with pytest.raises(ValueError):
        model.weights = [ok, np.ones((3, 3))]  # a bad shape in the second part
    with pytest.raises(ValueError):
        model.weights = [ok]  # too few layers
    assert model.save_buffer() == before
    model.weights = [ok, np.ones((2, 4))]
    assert np.array_equal(model.get_weights(1), ok)


def test_a_failed_configure_changes_nothing(model):
    before = model.save_buffer()
    with pytest.raises(DlnError):
        model.configure(learning_rate=0.5, batch_size=0)  # the second is out of range
    assert model.save_buffer() == before
    with pytest.raises(TypeError):
        model.configure(ridge=0.01, threads="2")
    assert model.save_buffer() == before
    model.configure(learning_rate=0.5, batch_size=2)
    assert model.learning_rate == 0.5 and model.batch_size == 2


def test_nested_lists_are_refused_not_flattened():
    with pytest.raises(ValueError, match="widths must be one-dimensional"):
        dlnsgd.Model([[2, 3], [4, 5]])
    m = dlnsgd.Model([2, 2])
    with pytest.raises(ValueError, match="rows must be one-dimensional"):
        m.set_observations([[0, 1]], [0, 1], [1.0, 2.0])
    with pytest.raises(ValueError, match="values must have at most 1"):
        m.set_observations([0, 1], [0, 1], [[1.0, 2.0]])
    with pytest.raises(ValueError):
        dlnsgd.rank_of_spectrum([[1.0, 2.0]], RankMeasure.STABLE)
    with pytest.raises(ValueError):
        m.init_weights(dlnsgd.Init.GAUSSIAN, [[0.1]])


def test_handle_free_errors_name_the_argument_and_value():
    with pytest.raises(DlnError) as info:
        dlnsgd.rank_of_spectrum([1.0, -2.0], RankMeasure.NUMERICAL)
    assert info.value.message == "dln_rank_of_spectrum: sigma[1]=-2 is negative"
    with pytest.raises(DlnError) as info:
        dlnsgd.rank_of_spectrum([1.0], RankMeasure.NUMERICAL, rtol=1.5)
    assert "rtol=1.5 must be in [0, 1)" in info.value.message
