"""Ensembles from a saved state and their statistics (issue 13).

``Ensemble`` is one dln_ensemble handle; ``wilson_interval``,
``kaplan_meier`` and ``kaplan_meier_median`` are the library's statistics
calls. ``ensemble(...)`` runs a grid of (eta, lambda, batch) points times
``trials`` seeds as one library ensemble and returns one record per run;
``summary(runs)`` gives per grid point P(enter B_r within the horizon) with
its Wilson interval and the Kaplan-Meier median hitting time with its
interval. Every number is computed by the library: this module only
converts types, loops over grid points and groups records.

Members run on library threads (``threads=``); ctypes releases the GIL for
the duration of each C call, so Python threads are not blocked either.
"""
import ctypes
import itertools
import os
import threading
import weakref

import numpy as np

from . import _lib
from .constants import (KM_RECORD_SIZE, Z_95, CloneFlag, EnsembleScope, KMField, MemberField,
                        Param)
from .errors import check
from .errors import DlnError
from .model import Model, _f64p, _int64, _uint64

__all__ = ["Ensemble", "clone_fresh", "ensemble", "kaplan_meier", "kaplan_meier_median",
           "summary", "wilson_interval"]


def _explained(fname, *args):
    buffer = ctypes.create_string_buffer(512)
    status = getattr(_lib.lib(), fname)(*args, buffer, len(buffer))
    check(status, None, fname, _lib.text(buffer.value))


# ------------------------------------------------------------- statistics
def wilson_interval(successes, trials, z=Z_95):
    """(lower, upper): the Wilson score interval of successes/trials."""
    lo, hi = ctypes.c_double(), ctypes.c_double()
    _explained("dln_wilson_interval", _int64(successes, "successes"), _int64(trials, "trials"),
               float(z), ctypes.byref(lo), ctypes.byref(hi))
    return lo.value, hi.value


def _survival_data(times, censored):
    t = np.ascontiguousarray(times, dtype=np.float64).reshape(-1)
    c = np.ascontiguousarray(censored).reshape(-1)
    if c.size != t.size:
        raise ValueError(f"lengths differ: times={t.size}, censored={c.size}")
    return t, np.ascontiguousarray(c, dtype=np.intc)


def kaplan_meier(times, censored, z=Z_95):
    """The Kaplan-Meier curve as a record array, one row per distinct time,
    one float64 field per KMField (time, at_risk, events, censored,
    survival, std_error, lower, upper); censored[i] true = right-censored."""
    t, c = _survival_data(times, censored)
    count = ctypes.c_int64()
    cp = c.ctypes.data_as(_lib.IntP)
    _explained("dln_kaplan_meier", t.size, _f64p(t), cp, float(z), None, 0, ctypes.byref(count))
    rows = np.empty((count.value, KM_RECORD_SIZE), dtype=np.float64)
    _explained("dln_kaplan_meier", t.size, _f64p(t), cp, float(z), _f64p(rows), rows.shape[0],
               ctypes.byref(count))
    dtype = np.dtype([(f.name.lower(), np.float64) for f in KMField])
    return rows.view(dtype).reshape(rows.shape[0]).view(np.recarray)


def kaplan_meier_median(times, censored, z=Z_95):
    """(median, lower, upper) of the Kaplan-Meier estimate; inf = not reached."""
    t, c = _survival_data(times, censored)
    out = [ctypes.c_double() for _ in range(3)]
    _explained("dln_kaplan_meier_median", t.size, _f64p(t), c.ctypes.data_as(_lib.IntP),
               float(z), *[ctypes.byref(x) for x in out])
    return tuple(x.value for x in out)


def clone_fresh(model, seed, flags=CloneFlag.FRESH):
    """dln_clone_ex: a copy of ``model`` with the parts named in ``flags``
    (CloneFlag) made fresh; FRESH = new seed, step 0, empty logs."""
    out = _lib.ModelP()
    model._call("dln_clone_ex", int(flags), _uint64(seed, "seed"), ctypes.byref(out))
    return Model._from_handle(out)


# --------------------------------------------------------------- handle
class Ensemble:
    """A dln_ensemble: members = fresh clones of ``state`` with ``seeds``.

    Methods are one C call each. Use as a context manager or call close().
    """

    def __init__(self, state, seeds):
        seeds = np.array([_uint64(x, "seed") for x in np.asarray(seeds).reshape(-1).tolist()],
                         dtype=np.uint64)
        out = _lib.EnsembleP()
        state._call("dln_ensemble_create", seeds.size, seeds.ctypes.data_as(_lib.U64P),
                    ctypes.byref(out))
        self._L = _lib.lib()
        self._h = out
        self._lock = threading.RLock()
        self._finalizer = weakref.finalize(self, self._L.dln_ensemble_destroy, out)
        self.seeds = seeds.copy()

    def close(self):
        with self._lock:
            self._finalizer()
            self._h = _lib.EnsembleP()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _call(self, fname, *args):
        with self._lock:
            status = getattr(self._L, fname)(self._h, *args)
            if status != 0:
                check(status, None, fname, _lib.text(self._L.dln_ensemble_last_error(self._h)))

    @property
    def size(self):
        n = ctypes.c_int64()
        self._call("dln_ensemble_size", ctypes.byref(n))
        return n.value

    def __len__(self):
        return self.size

    def set_param(self, param, value, member=EnsembleScope.ALL):
        """dln_set_param on one member or on all (all or none)."""
        self._call("dln_ensemble_set_param", _int64(member, "member"), int(param), float(value))

    def get_param(self, param, member):
        v = ctypes.c_double()
        self._call("dln_ensemble_get_param", _int64(member, "member"), int(param), ctypes.byref(v))
        return v.value

    def watch(self, r, check_every):
        """Watch B_r, checked whenever a member's step count is a multiple of check_every."""
        self._call("dln_ensemble_watch", _int64(r, "r"), _int64(check_every, "check_every"))

    def step(self, steps, threads=1):
        self._call("dln_ensemble_step", _int64(steps, "steps"), _int64(threads, "threads"))

    def result(self, field):
        """One MemberField of every member (float64 array)."""
        out = np.empty(self.size, dtype=np.float64)
        self._call("dln_ensemble_results", int(field), _f64p(out), out.size)
        return out

    def results(self, fields=tuple(MemberField)):
        """{field name: array} for the given MemberFields."""
        return {MemberField(f).name.lower(): self.result(f) for f in fields}

    def member(self, i):
        """A copy of member i as an ordinary Model."""
        out = _lib.ModelP()
        self._call("dln_ensemble_member", _int64(i, "member"), ctypes.byref(out))
        return Model._from_handle(out)


# ------------------------------------------------------------ the protocol
RUN_FIELDS = [("eta", np.float64), ("lambda", np.float64), ("batch", np.int64),
              ("seed", np.uint64), ("entry_step", np.int64), ("censored", np.bool_),
              ("exits", np.int64), ("final_absorbed_rank", np.int64), ("train_mse", np.float64),
              ("test_mse", np.float64), ("time", np.int64), ("step", np.int64),
              ("inside", np.bool_), ("status", np.int64)]


def _grid(values, state, param):
    return [state.get_param(param)] if values is None else list(np.atleast_1d(values))


def ensemble(state, r, horizon, trials, etas=None, lambdas=None, batches=None, check_every=100,
             threads=1, seed=0, sampler=None):
    """Run every (eta, lambda, batch) of the grid with seeds seed, seed+1, …,
    seed+trials-1 (the same seeds at every grid point) from ``state`` (a
    Model, or the path of a saved state), watching B_r every ``check_every``
    steps up to ``horizon``. None keeps the state's value; ``sampler`` (a
    Sampler) replaces the state's (a full-batch state gives identical
    members otherwise). One library ensemble holds every run, stepped on
    ``threads`` threads; results do not depend on the thread count.

    Returns a numpy record array, one row per run, fields RUN_FIELDS:
    eta, lambda, batch, seed, entry_step (-1 if censored), censored, exits,
    final_absorbed_rank, train_mse, test_mse (NaN without test data), time
    (entry step, or the step count if censored), step, inside, status.
    A run that diverged has status DLN_ERR_DIVERGED and is censored where it
    stopped; the others complete (no exception is raised for it).
    """
    owned = not isinstance(state, Model)
    model = Model.load(os.fspath(state)) if owned else state
    try:
        grid = list(itertools.product(_grid(etas, model, Param.LEARNING_RATE),
                                      _grid(lambdas, model, Param.RIDGE),
                                      [int(b) for b in _grid(batches, model, Param.BATCH_SIZE)]))
        trials = _int64(trials, "trials")
        seeds = np.array([_uint64(seed + i, "seed") for _ in grid for i in range(trials)],
                         dtype=np.uint64)
        runs = np.zeros(len(seeds), dtype=RUN_FIELDS).view(np.recarray)
        with Ensemble(model, seeds) as e:
            for g, (eta, lam, b) in enumerate(grid):
                for i in range(g * trials, (g + 1) * trials):
                    if sampler is not None:
                        e.set_param(Param.SAMPLER, int(sampler), i)
                    # eta 0 first: no intermediate pair breaks 2 eta lambda < 1
                    e.set_param(Param.LEARNING_RATE, 0.0, i)
                    e.set_param(Param.RIDGE, lam, i)
                    e.set_param(Param.LEARNING_RATE, eta, i)
                    e.set_param(Param.BATCH_SIZE, b, i)
                    runs["eta"][i], runs["lambda"][i], runs["batch"][i] = eta, lam, b
            runs["seed"] = seeds
            e.watch(r, check_every)
            try:
                e.step(_int64(horizon, "horizon"), threads)
            except DlnError as exc:
                # A member that stopped (e.g. diverged) is a result, not a failure:
                # it is censored where it stopped. Anything else is raised.
                try:
                    stopped = e.result(MemberField.STATUS)
                except DlnError:
                    raise exc from None
                if exc.status not in stopped:
                    raise
            res = e.results()
        runs["entry_step"] = res["entry_step"]
        runs["censored"] = res["censored"] != 0
        runs["exits"] = res["exits"]
        runs["final_absorbed_rank"] = res["absorbed_rank"]
        runs["train_mse"] = res["train_mse"]
        runs["test_mse"] = res["test_mse"]
        runs["time"] = res["time"]
        runs["step"] = res["step"]
        runs["inside"] = res["inside"] != 0
        runs["status"] = res["status"]
        return runs
    finally:
        if owned:
            model.close()


SUMMARY_FIELDS = [("eta", np.float64), ("lambda", np.float64), ("batch", np.int64),
                  ("trials", np.int64), ("entered", np.int64), ("p_enter", np.float64),
                  ("p_lower", np.float64), ("p_upper", np.float64), ("median", np.float64),
                  ("median_lower", np.float64), ("median_upper", np.float64),
                  ("exits", np.int64), ("stopped", np.int64), ("horizon", np.int64)]


def summary(runs, z=Z_95):
    """One row per grid point (in the order of first appearance): trials,
    entered, P(enter within the horizon) = entered/trials with its Wilson
    interval, the Kaplan-Meier median hitting time with its interval (inf =
    not reached), total exits, the runs stopped by an error (diverged; they
    count as not entered and are censored where they stopped) and the
    horizon (the largest step count reached)."""
    keys = list(dict.fromkeys(zip(runs["eta"].tolist(), runs["lambda"].tolist(),
                                  runs["batch"].tolist())))
    out = np.zeros(len(keys), dtype=SUMMARY_FIELDS).view(np.recarray)
    for g, (eta, lam, b) in enumerate(keys):
        sel = runs[(runs["eta"] == eta) & (runs["lambda"] == lam) & (runs["batch"] == b)]
        n, k = len(sel), int(np.count_nonzero(~sel["censored"]))
        lo, hi = wilson_interval(k, n, z)
        med, mlo, mhi = kaplan_meier_median(sel["time"], sel["censored"], z)
        out[g] = (eta, lam, b, n, k, k / n, lo, hi, med, mlo, mhi, int(sel["exits"].sum()),
                  int(np.count_nonzero(sel["status"])), int(sel["step"].max()))
    return out
