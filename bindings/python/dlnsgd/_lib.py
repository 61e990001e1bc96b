"""Loading libdlnsgd and the ctypes prototype of every C function.

This is the only module that knows the C signatures: ``PROTOTYPES`` mirrors
include/dlnsgd.h one function per entry (the test suite checks it against the
header). Everything else calls through :func:`lib`.

Search order for the shared library:
  1. the path in the environment variable ``DLNSGD_LIBRARY`` (an error if it
     is set but cannot be loaded: no silent fallback);
  2. a copy next to this package (``dlnsgd/libdlnsgd.so.0`` and friends);
  3. the installed library: ``ctypes.util.find_library("dlnsgd")``, then the
     soname ``libdlnsgd.so.0`` through the dynamic loader's own search path.
"""
import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import POINTER, c_char_p, c_double, c_int, c_int64, c_uint64, c_void_p

#: Major version of the C ABI this binding is written against.
ABI_MAJOR = 0
SONAME = "libdlnsgd.so.0"


class _Model(ctypes.Structure):
    """Opaque ``dln_model``."""


ModelP = POINTER(_Model)  # dln_model *
ModelPP = POINTER(ModelP)  # dln_model **
I64P = POINTER(c_int64)
U64P = POINTER(c_uint64)
F64P = POINTER(c_double)
IntP = POINTER(c_int)


class _Ensemble(ctypes.Structure):
    """Opaque ``dln_ensemble``."""


EnsembleP = POINTER(_Ensemble)  # dln_ensemble *
EnsemblePP = POINTER(EnsembleP)  # dln_ensemble **

# name: (restype, argtypes), in header order.
PROTOTYPES = {
    # status and version
    "dln_status_string": (c_char_p, (c_int,)),
    "dln_status_name": (c_char_p, (c_int,)),
    "dln_last_error": (c_char_p, (ModelP,)),
    "dln_version_number": (c_int, ()),
    "dln_version_string": (c_char_p, ()),
    # options
    "dln_set_param": (c_int, (ModelP, c_int, c_double)),
    "dln_get_param": (c_int, (ModelP, c_int, F64P)),
    "dln_param_bounds": (c_int, (c_int, F64P, F64P)),
    "dln_param_bounds_ex": (c_int, (c_int, F64P, F64P, c_char_p, c_int64)),
    "dln_param_name": (c_char_p, (c_int,)),
    # lifecycle and shape
    "dln_create": (c_int, (c_int64, I64P, c_uint64, ModelPP)),
    "dln_create_ex": (c_int, (c_int64, I64P, c_uint64, ModelPP, c_char_p, c_int64)),
    "dln_destroy": (None, (ModelP,)),
    "dln_clone": (c_int, (ModelP, ModelPP)),
    "dln_get_depth": (c_int, (ModelP, I64P)),
    "dln_get_widths": (c_int, (ModelP, I64P, c_int64)),
    "dln_get_seed": (c_int, (ModelP, U64P)),
    "dln_set_seed": (c_int, (ModelP, c_uint64)),
    "dln_get_step_count": (c_int, (ModelP, I64P)),
    "dln_set_step_count": (c_int, (ModelP, c_int64)),
    # data
    "dln_set_observations": (c_int, (ModelP, c_int64, I64P, I64P, F64P)),
    "dln_get_observation_count": (c_int, (ModelP, I64P)),
    "dln_set_test_observations": (c_int, (ModelP, c_int64, I64P, I64P, F64P)),
    "dln_set_ground_truth": (c_int, (ModelP, F64P)),
    "dln_set_sample_subset": (c_int, (ModelP, c_int64, I64P)),
    # schedules
    "dln_set_schedule": (c_int, (ModelP, c_int, c_int, c_int64, F64P)),
    "dln_schedule_value": (c_int, (ModelP, c_int, c_int64, F64P)),
    # weights and initialisation
    "dln_set_weights": (c_int, (ModelP, c_int64, F64P)),
    "dln_get_weights": (c_int, (ModelP, c_int64, F64P)),
    "dln_init_weights": (c_int, (ModelP, c_int, c_int64, F64P)),
    "dln_init_balanced": (c_int, (ModelP, F64P)),
    # stepping
    "dln_step": (c_int, (ModelP, c_int64)),
    "dln_step_batch": (c_int, (ModelP, c_int64, I64P)),
    "dln_last_step_formulation": (c_int, (ModelP, IntP)),
    "dln_formulation_name": (c_char_p, (c_int,)),
    # observables
    "dln_loss": (c_int, (ModelP, F64P, F64P)),
    "dln_weight_norm2": (c_int, (ModelP, F64P)),
    "dln_test_error": (c_int, (ModelP, F64P)),
    "dln_singular_values": (c_int, (ModelP, F64P, c_int64, I64P)),
    "dln_layer_singular_values": (c_int, (ModelP, c_int64, F64P, c_int64, I64P)),
    "dln_bottleneck_singular_values": (c_int, (ModelP, c_int64, F64P, c_int64, I64P)),
    "dln_query_rank": (c_int, (ModelP, c_double, I64P)),
    "dln_rank_of_spectrum": (c_int, (F64P, c_int64, c_int, c_double, c_double, F64P)),
    "dln_rank_of_spectrum_ex": (c_int, (F64P, c_int64, c_int, c_double, c_double, F64P, c_char_p,
                                        c_int64)),
    "dln_rank": (c_int, (ModelP, c_int64, c_int, c_double, c_double, F64P)),
    "dln_bottleneck_ranks": (c_int, (ModelP, c_double, c_double, I64P, c_int64)),
    "dln_balancedness": (c_int, (ModelP, F64P)),
    "dln_representation_cost": (c_int, (ModelP, F64P)),
    "dln_output_column_norms": (c_int, (ModelP, F64P, c_int64)),
    "dln_input_row_norms": (c_int, (ModelP, F64P, c_int64)),
    # absorbing sets
    "dln_in_Br": (c_int, (ModelP, c_int64, c_double, c_double, c_double, IntP)),
    "dln_query_absorbed_rank": (c_int, (ModelP, I64P)),
    "dln_Br_report": (c_int, (ModelP, c_int64, c_double, c_double, c_double, F64P)),
    # jump log
    "dln_jump_count": (c_int, (ModelP, I64P)),
    "dln_get_jumps": (c_int, (ModelP, c_int64, c_int64, I64P)),
    "dln_clear_jumps": (c_int, (ModelP,)),
    "dln_rank_change_count": (c_int, (ModelP, I64P)),
    "dln_get_rank_changes": (c_int, (ModelP, c_int64, c_int64, F64P)),
    # trace and gradient
    "dln_trace_count": (c_int, (ModelP, I64P)),
    "dln_get_trace": (c_int, (ModelP, c_int64, c_int64, F64P)),
    "dln_clear_trace": (c_int, (ModelP,)),
    "dln_gradient_norm": (c_int, (ModelP, F64P, F64P, c_int64)),
    # checkpoints
    "dln_save": (c_int, (ModelP, c_char_p)),
    "dln_load": (c_int, (c_char_p, ModelPP)),
    "dln_save_buffer": (c_int, (ModelP, c_void_p, c_int64, I64P)),
    "dln_load_buffer": (c_int, (c_void_p, c_int64, ModelPP)),
    "dln_load_ex": (c_int, (c_char_p, ModelPP, c_char_p, c_int64)),
    "dln_load_buffer_ex": (c_int, (c_void_p, c_int64, ModelPP, c_char_p, c_int64)),
    # fresh clones, ensembles and their statistics (issue 13)
    "dln_clone_ex": (c_int, (ModelP, c_int, c_uint64, ModelPP)),
    "dln_ensemble_create": (c_int, (ModelP, c_int64, U64P, EnsemblePP)),
    "dln_ensemble_destroy": (None, (EnsembleP,)),
    "dln_ensemble_last_error": (c_char_p, (EnsembleP,)),
    "dln_ensemble_size": (c_int, (EnsembleP, I64P)),
    "dln_ensemble_set_param": (c_int, (EnsembleP, c_int64, c_int, c_double)),
    "dln_ensemble_get_param": (c_int, (EnsembleP, c_int64, c_int, F64P)),
    "dln_ensemble_watch": (c_int, (EnsembleP, c_int64, c_int64)),
    "dln_ensemble_step": (c_int, (EnsembleP, c_int64, c_int64)),
    "dln_ensemble_results": (c_int, (EnsembleP, c_int, F64P, c_int64)),
    "dln_ensemble_member": (c_int, (EnsembleP, c_int64, ModelPP)),
    "dln_wilson_interval": (c_int, (c_int64, c_int64, c_double, F64P, F64P, c_char_p, c_int64)),
    "dln_kaplan_meier": (c_int, (c_int64, F64P, IntP, c_double, F64P, c_int64, I64P, c_char_p,
                                 c_int64)),
    "dln_kaplan_meier_median": (c_int, (c_int64, F64P, IntP, c_double, F64P, F64P, F64P,
                                        c_char_p, c_int64)),
}


def _package_candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.platform == "darwin":
        names = ["libdlnsgd.0.dylib", "libdlnsgd.dylib"]
    elif sys.platform == "win32":
        names = ["dlnsgd.dll", "libdlnsgd.dll"]
    else:
        names = [SONAME, "libdlnsgd.so"]
    return [os.path.join(here, n) for n in names]


def _open():
    """Return (CDLL, path) following the search order of the module doc."""
    env = os.environ.get("DLNSGD_LIBRARY")
    if env:
        try:
            return ctypes.CDLL(env), env
        except OSError as exc:
            raise OSError(f"DLNSGD_LIBRARY={env!r} cannot be loaded: {exc}") from exc
    tried = []
    for path in _package_candidates():
        if os.path.exists(path):
            try:
                return ctypes.CDLL(path), path
            except OSError as exc:
                tried.append(f"{path}: {exc}")
    for name in (ctypes.util.find_library("dlnsgd"), SONAME):
        if not name:
            continue
        try:
            return ctypes.CDLL(name), name
        except OSError as exc:
            tried.append(f"{name}: {exc}")
    raise OSError(
        "libdlnsgd not found: set DLNSGD_LIBRARY to its path, put it next to "
        "the dlnsgd package, or install it where the dynamic loader finds it"
        + ("".join("\n  tried " + t for t in tried) if tried else "")
    )


#: Functions of PROTOTYPES that the loaded library does not export (an
#: older library); calling one raises AttributeError naming the symbol.
MISSING = []


def _declare(dll):
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            fn = getattr(dll, name)
        except AttributeError:
            MISSING.append(name)
            continue
        fn.restype = restype
        fn.argtypes = list(argtypes)


_LOCK = threading.Lock()
_LIB = None
_PATH = None


def lib():
    """The loaded library with every prototype declared (loaded once)."""
    global _LIB, _PATH
    if _LIB is None:
        with _LOCK:
            if _LIB is None:
                dll, path = _open()
                _declare(dll)
                major = dll.dln_version_number() // 10000
                if major != ABI_MAJOR:
                    raise OSError(
                        f"{path} has ABI major version {major}; this binding needs {ABI_MAJOR}"
                    )
                _PATH = path
                _LIB = dll
    return _LIB


def library_path():
    """What was loaded: a path or the name handed to the dynamic loader."""
    lib()
    return _PATH


def text(ptr):
    """A C string (bytes or None) as str."""
    return "" if ptr is None else ptr.decode("utf-8", errors="replace")
