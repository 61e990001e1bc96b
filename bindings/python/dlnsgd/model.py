"""The Model class: one dln_model handle, numpy in and out.

Each method is one C call (a few make a size query first and then the call
itself). Arguments are converted to the C types (int64/float64, C-contiguous
numpy arrays kept alive for the duration of the call), every non-zero status
becomes a DlnError, and nothing is computed here.
"""
import ctypes
import operator
import os
import threading
import weakref

import numpy as np

from . import _lib
from .constants import (BR_REPORT_SIZE, CHANGE_RECORD_SIZE, GRAD_REPORT_SIZE, JUMP_RECORD_SIZE,
                        TRACE_RECORD_SIZE, ChangeField, Formulation, Param, TraceField)
from .errors import check

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


# ---------------------------------------------------------------- conversions
# Strict, like the standard library: an integer argument takes only what
# operator.index takes (no float, no str: TypeError) and must fit its C type
# (OverflowError, never wrapped); a double takes a real number, never a str.
def _int64(x, name):
    v = operator.index(x)
    if not _I64_MIN <= v <= _I64_MAX:
        raise OverflowError(f"{name}={v} does not fit in int64_t")
    return v


def _int32(x, name):
    """A C int (parameter ids, kinds, measures)."""
    v = operator.index(x)
    if not _INT_MIN <= v <= _INT_MAX:
        raise OverflowError(f"{name}={v} does not fit in a C int")
    return v


def _float(x, name):
    """A C double from a real number (float, int, numpy scalar, Decimal, ...)."""
    if isinstance(x, (str, bytes, bytearray)):
        raise TypeError(f"{name} must be a real number, not {type(x).__name__}")
    try:
        return float(x)
    except TypeError:
        raise TypeError(f"{name} must be a real number, not {type(x).__name__}") from None


def _uint64(x, name):
    v = operator.index(x)
    if not 0 <= v < 2**64:
        raise OverflowError(f"{name}={v} does not fit in uint64_t")
    return v


def _f64_array(x, name="array", max_ndim=None):
    """Real numbers as float64 (never strings or complex); at most max_ndim axes."""
    a = np.asarray(x)
    if a.dtype.kind == "O":
        a = np.array([_float(v, name) for v in a.reshape(-1)], dtype=np.float64).reshape(a.shape)
    elif a.size and a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, not {a.dtype}")
    if max_ndim is not None and a.ndim > max_ndim:
        raise ValueError(f"{name} must have at most {max_ndim} dimension(s), got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def _f64_vector(x, name):
    return _f64_array(x, name, max_ndim=1).reshape(-1)


def _i64_array(x, name):
    """A 1-D int64 array (a scalar counts as one value): nested lists are
    refused, not flattened; values outside int64_t raise OverflowError."""
    a = np.asarray(x)
    if a.ndim > 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {a.shape}")
    if a.dtype.kind == "O":  # Python ints beyond 64 bits land here
        return np.array([_int64(v, f"{name}[{i}]") for i, v in enumerate(a.reshape(-1))], dtype=np.int64)
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, not {a.dtype}")
    if a.size and a.dtype.kind == "u" and int(a.max()) > _I64_MAX:  # int(): no float comparison
        i = int(np.argmax(a))
        raise OverflowError(f"{name}[{i}]={int(a[i])} does not fit in int64_t")
    return np.ascontiguousarray(a, dtype=np.int64).reshape(-1)


def _f64p(a):
    return a.ctypes.data_as(_lib.F64P)


def _i64p(a):
    return a.ctypes.data_as(_lib.I64P)


def _expect_shape(a, shape, name):
    """The buffer must hold what the C call reads or writes: a matrix of
    ``shape`` (or the same number of values, flat)."""
    if a.shape != tuple(shape) and not (a.ndim == 1 and a.size == int(np.prod(shape))):
        raise ValueError(f"{name} has shape {a.shape}, the model needs {tuple(shape)}")


def _same_length(name_arrays):
    sizes = {n: a.size for n, a in name_arrays}
    if len(set(sizes.values())) > 1:
        raise ValueError("lengths differ: " + ", ".join(f"{n}={s}" for n, s in sizes.items()))


def _fs_path(path):
    p = os.fsencode(os.fspath(path))
    if b"\0" in p:  # C would cut the path there; open() refuses it the same way
        raise ValueError(f"path {path!r} contains an embedded null byte")
    return p


def _explained_call(fname, *args):
    """A *_ex call: the library writes the error detail into our buffer."""
    buffer = ctypes.create_string_buffer(512)
    status = getattr(_lib.lib(), fname)(*args, buffer, len(buffer))
    check(status, None, fname, _lib.text(buffer.value))


# ------------------------------------------------------------ free functions
def version_number():
    """DLN_VERSION_NUMBER of the loaded library (major*10000+minor*100+patch)."""
    return int(_lib.lib().dln_version_number())


def version_string():
    return _lib.text(_lib.lib().dln_version_string())


def status_name(status):
    return _lib.text(_lib.lib().dln_status_name(_int32(status, "status")))


def status_string(status):
    return _lib.text(_lib.lib().dln_status_string(_int32(status, "status")))


def param_name(param):
    """``"DLN_PARAM_..."``, or None for an unknown id."""
    p = _lib.lib().dln_param_name(_int32(param, "param"))
    return None if p is None else _lib.text(p)


def param_bounds(param):
    """(min, max), the closed range of valid values of a parameter."""
    lo, hi = ctypes.c_double(), ctypes.c_double()
    _explained_call("dln_param_bounds_ex", _int32(param, "param"), ctypes.byref(lo), ctypes.byref(hi))
    return lo.value, hi.value


def rank_of_spectrum(sigma, measure, atol=0.0, rtol=0.0):
    """A rank measure (RankMeasure) of a spectrum given by the caller."""
    s = _f64_vector(sigma, "sigma")
    out = ctypes.c_double()
    _explained_call("dln_rank_of_spectrum_ex", _f64p(s), s.size, _int32(measure, "measure"),
                    _float(atol, "atol"), _float(rtol, "rtol"), ctypes.byref(out))
    return out.value


def _param_property(param, integral, doc):
    def fget(self):
        v = self.get_param(param)
        return int(v) if integral else v

    def fset(self, value):
        self.set_param(param, value)

    return property(fget, fset, doc=doc)


# Keyword options of Model(...) and configure(...): name -> Param.
OPTIONS = {
    "learning_rate": Param.LEARNING_RATE,
    "ridge": Param.RIDGE,
    "batch_size": Param.BATCH_SIZE,
    "sampler": Param.SAMPLER,
    "threads": Param.THREADS,
    "jump_interval": Param.JUMP_INTERVAL,
    "jump_rtol": Param.JUMP_RTOL,
    "rank_atol": Param.RANK_ATOL,
    "br_rho": Param.BR_RHO,
    "br_eps": Param.BR_EPS,
    "br_delta": Param.BR_DELTA,
    "br_C": Param.BR_C,
    "trace_interval": Param.TRACE_INTERVAL,
}


def _records(model, count_fname, fname, size, fields, first, count):
    """Rows first..first+count-1 of a record list as a numpy record array
    with one float64 field per enum member (the size probe, then the fill)."""
    first = _int64(first, "first")
    if count is None:
        count = max(model._out(count_fname, ctypes.c_int64) - first, 0)
    count = _int64(count, "count")
    out = np.empty((max(count, 0), size), dtype=np.float64)
    buf = out if out.size else np.empty(size, dtype=np.float64)
    model._call(fname, first, count, _f64p(buf))
    dtype = np.dtype([(f.name.lower(), np.float64) for f in fields])
    return np.ascontiguousarray(out).view(dtype).reshape(out.shape[0])


class Model:
    """A deep linear network A = W_L ... W_1 and its SGD state (a dln_model).

    ``Model(widths, seed=0, **options)`` calls dln_create with
    depth = len(widths) - 1, then sets each option (see OPTIONS) with
    dln_set_param in the order given. Use it as a context manager or call
    close(); the handle is also destroyed when the object is collected.

    One Model serialises its own calls with a lock (the C library forbids
    concurrent calls on one handle); distinct Models run in parallel.
    """

    # ---------------------------------------------------------- lifecycle
    def __init__(self, widths, seed=0, **options):
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise TypeError(f"unknown option(s) {unknown}; known: {sorted(OPTIONS)}")
        w = _i64_array(widths, "widths")
        out = _lib.ModelP()
        _explained_call("dln_create_ex", w.size - 1, _i64p(w), _uint64(seed, "seed"),
                        ctypes.byref(out))
        self._adopt(out)
        try:
            self.configure(**options)
        except BaseException:
            self.close()
            raise

    def _adopt(self, handle):
        self._L = _lib.lib()
        self._h = handle
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, self._L.dln_destroy, handle)

    @classmethod
    def _from_handle(cls, handle):
        obj = cls.__new__(cls)
        obj._adopt(handle)
        return obj

    def close(self):
        """dln_destroy; idempotent. Later calls fail with DLN_ERR_NULL_POINTER,
        which is what the C library answers for a NULL handle."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            self._finalizer()
            self._h = _lib.ModelP()  # NULL

    @property
    def closed(self):
        return not bool(self._h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        if self.closed:
            return "<dlnsgd.Model closed>"
        try:
            return f"<dlnsgd.Model widths={self.widths.tolist()} step={self.step_count}>"
        except Exception:  # pragma: no cover
            return "<dlnsgd.Model>"

    def _call(self, fname, *args):
        fn = getattr(self._L, fname)
        with self._lock:
            status = fn(self._h, *args)
            check(status, self._h, fname)

    def _out(self, fname, ctype, *args):
        v = ctype()
        self._call(fname, *args, ctypes.byref(v))
        return v.value

    def clone(self):
        """dln_clone: an independent deep copy."""
        out = _lib.ModelP()
        self._call("dln_clone", ctypes.byref(out))
        return Model._from_handle(out)

    __copy__ = clone

    def __deepcopy__(self, memo):
        return self.clone()

    def __reduce__(self):
        return (Model.load_buffer, (self.save_buffer(),))

    # -------------------------------------------------------------- shape
    @property
    def depth(self):
        return self._out("dln_get_depth", ctypes.c_int64)

    @property
    def widths(self):
        """n_0 = m, ..., n_L = n (int64 array)."""
        d = self.depth
        w = np.empty(d + 1, dtype=np.int64)
        self._call("dln_get_widths", _i64p(w), w.size)
        return w

    @property
    def seed(self):
        return self._out("dln_get_seed", ctypes.c_uint64)

    @seed.setter
    def seed(self, value):
        self._call("dln_set_seed", _uint64(value, "seed"))

    @property
    def step_count(self):
        """The step counter t (the next step uses eta_t, lambda_t, B_t)."""
        return self._out("dln_get_step_count", ctypes.c_int64)

    @step_count.setter
    def step_count(self, value):
        self._call("dln_set_step_count", _int64(value, "step"))

    # ------------------------------------------------------------ options
    def set_param(self, param, value):
        self._call("dln_set_param", _int32(param, "param"), _float(value, "value"))

    def get_param(self, param):
        return self._out("dln_get_param", ctypes.c_double, _int32(param, "param"))

    def _all_or_nothing(self, apply):
        """Runs apply(model) on a clone first: if any part fails the error is
        raised and this model is unchanged; then on this model, where the
        same calls on the same state cannot fail."""
        trial = self.clone()
        try:
            apply(trial)
        finally:
            trial.close()
        apply(self)

    def configure(self, **options):
        """Set options by keyword (names in OPTIONS), in the order given; if
        one is refused, none is set."""
        for name in options:
            if name not in OPTIONS:
                raise TypeError(f"unknown option {name!r}; known: {sorted(OPTIONS)}")

        def apply(model):
            for name, value in options.items():
                model.set_param(OPTIONS[name], value)

        if len(options) > 1:
            self._all_or_nothing(apply)
        else:
            apply(self)

    learning_rate = _param_property(Param.LEARNING_RATE, False, "base learning rate eta")
    ridge = _param_property(Param.RIDGE, False, "base ridge lambda")
    batch_size = _param_property(Param.BATCH_SIZE, True, "batch size of sampled steps")
    sampler = _param_property(Param.SAMPLER, True, "a Sampler value")
    threads = _param_property(Param.THREADS, True, "threads for batched products")
    jump_interval = _param_property(Param.JUMP_INTERVAL, True, "rank check interval, 0 = off")
    jump_rtol = _param_property(Param.JUMP_RTOL, False, "rtol of the logged numerical rank")
    rank_atol = _param_property(Param.RANK_ATOL, False, "atol of the numerical ranks")
    br_rho = _param_property(Param.BR_RHO, False, "rho of B_r, -1 = default max|y|")
    br_eps = _param_property(Param.BR_EPS, False, "eps of B_r, -1 = default")
    br_delta = _param_property(Param.BR_DELTA, False, "delta of B_r, -1 = default +inf")
    br_C = _param_property(Param.BR_C, False, "C of B_r, -1 = default 4 mean(y^2)/lambda")
    trace_interval = _param_property(Param.TRACE_INTERVAL, True, "trace cadence, 0 = off")

    # --------------------------------------------------------------- data
    def set_observations(self, rows, cols, values):
        """Observations (i_k, j_k, y_k), copied by the library."""
        r, c = _i64_array(rows, "rows"), _i64_array(cols, "cols")
        v = _f64_vector(values, "values")
        _same_length([("rows", r), ("cols", c), ("values", v)])
        self._call("dln_set_observations", r.size, _i64p(r), _i64p(c), _f64p(v))

    @property
    def observation_count(self):
        return self._out("dln_get_observation_count", ctypes.c_int64)

    def set_test_observations(self, rows, cols, values):
        """Held-out set for test_error(); empty arrays clear it."""
        r, c = _i64_array(rows, "rows"), _i64_array(cols, "cols")
        v = _f64_vector(values, "values")
        _same_length([("rows", r), ("cols", c), ("values", v)])
        self._call("dln_set_test_observations", r.size, _i64p(r), _i64p(c), _f64p(v))

    def set_ground_truth(self, truth):
        """Full n x m ground truth for test_error(); None clears it."""
        if truth is None:
            self._call("dln_set_ground_truth", None)
            return
        w = self.widths
        t = _f64_array(truth, "truth")
        _expect_shape(t, (w[-1], w[0]), "truth")
        self._call("dln_set_ground_truth", _f64p(t))

    def set_sample_subset(self, indices):
        """Pool of observation indices for Sampler.SUBSET; empty clears it."""
        i = _i64_array(indices, "indices")
        self._call("dln_set_sample_subset", i.size, _i64p(i))

    # ---------------------------------------------------------- schedules
    def set_schedule(self, param, kind, args=()):
        a = _f64_vector(args, "args")
        self._call("dln_set_schedule", _int32(param, "param"), _int32(kind, "kind"), a.size, _f64p(a))

    def schedule_value(self, param, step):
        """eta_t or lambda_t at step t."""
        return self._out("dln_schedule_value", ctypes.c_double, _int32(param, "param"),
                         _int64(step, "step"))

    # ------------------------------------------------------------ weights
    def _layer_shape(self, layer):
        w = self.widths
        layer = _int64(layer, "layer")
        if 1 <= layer < w.size:
            return layer, (int(w[layer]), int(w[layer - 1]))
        return layer, None  # the C call reports the bad layer

    def set_weights(self, layer, w):
        """W_layer (layer 1..L), an n_layer x n_(layer-1) matrix."""
        layer, shape = self._layer_shape(layer)
        a = _f64_array(w, "w")
        if shape is not None:
            _expect_shape(a, shape, "w")
        elif a.size == 0:
            a = np.zeros(1)
        self._call("dln_set_weights", layer, _f64p(a))

    def get_weights(self, layer):
        layer, shape = self._layer_shape(layer)
        a = np.empty(shape if shape is not None else (1,), dtype=np.float64)
        self._call("dln_get_weights", layer, _f64p(a))
        return a

    @property
    def weights(self):
        """[W_1, ..., W_L] (copies); assigning a sequence sets every layer."""
        return [self.get_weights(l) for l in range(1, self.depth + 1)]

    @weights.setter
    def weights(self, ws):
        """All layers or none: a refused layer leaves every layer as it was."""
        ws = list(ws)
        if len(ws) != self.depth:
            raise ValueError(f"{len(ws)} weight matrices given, the model has {self.depth} layers")

        def apply(model):
            for l, w in enumerate(ws, start=1):
                model.set_weights(l, w)

        self._all_or_nothing(apply)

    def init_weights(self, kind, args=()):
        """dln_init_weights with an Init kind and its arguments."""
        a = _f64_vector(args, "args")
        self._call("dln_init_weights", _int32(kind, "kind"), a.size, _f64p(a))

    def init_balanced(self, a0):
        """Balanced factorisation of an n x m matrix A0."""
        w = self.widths
        a = _f64_array(a0, "a0")
        _expect_shape(a, (w[-1], w[0]), "a0")
        self._call("dln_init_balanced", _f64p(a))

    # ----------------------------------------------------------- stepping
    def step(self, steps=1):
        """`steps` sampled SGD steps."""
        self._call("dln_step", _int64(steps, "steps"))

    def step_batch(self, indices):
        """One step on an explicit batch of observation indices."""
        i = _i64_array(indices, "indices")
        self._call("dln_step_batch", i.size, _i64p(i))

    @property
    def last_step_formulation(self):
        """Formulation of the last step attempted (a Formulation)."""
        return Formulation(self._out("dln_last_step_formulation", ctypes.c_int))

    # -------------------------------------------------------- observables
    def loss(self):
        """(data_cost, ridge_term): C(A_theta) and lambda_t ||theta||^2."""
        d, r = ctypes.c_double(), ctypes.c_double()
        self._call("dln_loss", ctypes.byref(d), ctypes.byref(r))
        return d.value, r.value

    def weight_norm2(self):
        return self._out("dln_weight_norm2", ctypes.c_double)

    def test_error(self):
        return self._out("dln_test_error", ctypes.c_double)

    def _spectrum(self, fname, *lead):
        count = ctypes.c_int64()
        probe = np.empty(1, dtype=np.float64)
        self._call(fname, *lead, _f64p(probe), 0, ctypes.byref(count))
        out = np.empty(count.value, dtype=np.float64)
        self._call(fname, *lead, _f64p(out) if out.size else _f64p(probe), out.size,
                   ctypes.byref(count))
        return out[: count.value]

    def singular_values(self):
        """Singular values of A_theta, descending (all min_l n_l of them)."""
        return self._spectrum("dln_singular_values")

    def layer_singular_values(self, layer):
        return self._spectrum("dln_layer_singular_values", _int64(layer, "layer"))

    def bottleneck_singular_values(self, k):
        """Singular values of M_k = [W_k, W_(k+1)^T]."""
        return self._spectrum("dln_bottleneck_singular_values", _int64(k, "k"))

    def query_rank(self, rtol):
        return self._out("dln_query_rank", ctypes.c_int64, _float(rtol, "rtol"))

    def rank(self, target, measure, atol=0.0, rtol=0.0):
        """A RankMeasure of A_theta (target 0) or of W_target."""
        return self._out("dln_rank", ctypes.c_double, _int64(target, "target"),
                         _int32(measure, "measure"), _float(atol, "atol"), _float(rtol, "rtol"))

    def bottleneck_ranks(self, atol=0.0, rtol=0.0):
        """Numerical ranks of M_1..M_(L-1) (one value for depth 1)."""
        out = np.empty(max(self.depth - 1, 1), dtype=np.int64)
        self._call("dln_bottleneck_ranks", _float(atol, "atol"), _float(rtol, "rtol"), _i64p(out),
                   out.size)
        return out

    def balancedness(self):
        return self._out("dln_balancedness", ctypes.c_double)

    def representation_cost(self):
        return self._out("dln_representation_cost", ctypes.c_double)

    def output_column_norms(self):
        """Norms of the n_(L-1) columns of W_L."""
        out = np.empty(int(self.widths[-2]), dtype=np.float64)
        self._call("dln_output_column_norms", _f64p(out), out.size)
        return out

    def input_row_norms(self):
        """Norms of the n_1 rows of W_1."""
        out = np.empty(int(self.widths[1]), dtype=np.float64)
        self._call("dln_input_row_norms", _f64p(out), out.size)
        return out

    # ---------------------------------------------------- absorbing sets
    def in_Br(self, r, eps=-1.0, delta=-1.0, C=-1.0):
        """theta in B_r(eps, delta, C); a negative threshold means the default."""
        return bool(self._out("dln_in_Br", ctypes.c_int, _int64(r, "r"), _float(eps, "eps"),
                              _float(delta, "delta"), _float(C, "C")))

    def query_absorbed_rank(self):
        return self._out("dln_query_absorbed_rank", ctypes.c_int64)

    def Br_report(self, r, eps=-1.0, delta=-1.0, C=-1.0):
        """The BR_REPORT_SIZE doubles of dln_Br_report, indexed by BrField."""
        out = np.empty(BR_REPORT_SIZE, dtype=np.float64)
        self._call("dln_Br_report", _int64(r, "r"), _float(eps, "eps"), _float(delta, "delta"),
                   _float(C, "C"), _f64p(out))
        return out

    # ------------------------------------------------------------- jumps
    @property
    def jump_count(self):
        return self._out("dln_jump_count", ctypes.c_int64)

    def get_jumps(self, first=0, count=None):
        """Records first..first+count-1 as a (count, 4) int64 array indexed by
        JumpField; count defaults to all records from `first` on."""
        first = _int64(first, "first")
        if count is None:
            count = max(self.jump_count - first, 0)
        count = _int64(count, "count")
        out = np.empty((max(count, 0), JUMP_RECORD_SIZE), dtype=np.int64)
        buf = out if out.size else np.empty(JUMP_RECORD_SIZE, dtype=np.int64)
        self._call("dln_get_jumps", first, count, _i64p(buf))
        return out

    def clear_jumps(self):
        self._call("dln_clear_jumps")

    # --------------------------------------------- rank changes and trace
    @property
    def rank_change_count(self):
        return self._out("dln_rank_change_count", ctypes.c_int64)

    def rank_changes(self, first=0, count=None):
        """The rank-change log as a record array, one float64 field per
        ChangeField (step, kind, before, after, sigma, ...)."""
        return _records(self, "dln_rank_change_count", "dln_get_rank_changes",
                        CHANGE_RECORD_SIZE, ChangeField, first, count)

    @property
    def trace_count(self):
        return self._out("dln_trace_count", ctypes.c_int64)

    def trace(self, first=0, count=None):
        """The trace rows as a record array, one float64 field per TraceField."""
        return _records(self, "dln_trace_count", "dln_get_trace", TRACE_RECORD_SIZE,
                        TraceField, first, count)

    def clear_trace(self):
        self._call("dln_clear_trace")

    def gradient_norm(self):
        """(report, per_layer): the GRAD_REPORT_SIZE doubles indexed by
        GradientField, and the norms of the gradient of each layer."""
        report = np.empty(GRAD_REPORT_SIZE, dtype=np.float64)
        per_layer = np.empty(self.depth, dtype=np.float64)
        self._call("dln_gradient_norm", _f64p(report), _f64p(per_layer), per_layer.size)
        return report, per_layer

    # -------------------------------------------------------- checkpoints
    def save(self, path):
        self._call("dln_save", _fs_path(path))

    @classmethod
    def load(cls, path):
        out = _lib.ModelP()
        _explained_call("dln_load_ex", _fs_path(path), ctypes.byref(out))
        return cls._from_handle(out)

    def save_buffer(self):
        """The checkpoint as bytes (size query, then the write)."""
        size = ctypes.c_int64()
        probe = ctypes.create_string_buffer(1)
        self._call("dln_save_buffer", probe, 0, ctypes.byref(size))
        buf = ctypes.create_string_buffer(max(size.value, 1))
        self._call("dln_save_buffer", buf, size.value, ctypes.byref(size))
        return buf.raw[: size.value]

    @classmethod
    def load_buffer(cls, data):
        if isinstance(data, str):
            raise TypeError("data must be bytes-like (a checkpoint), not str")
        data = bytes(data)
        out = _lib.ModelP()
        _explained_call("dln_load_buffer_ex", data, len(data), ctypes.byref(out))
        return cls._from_handle(out)
