"""dlnsgd: SGD with weight decay on deep linear networks (Python binding).

A thin ctypes layer over the plain-C ABI of libdlnsgd (include/dlnsgd.h):
the same calls, numpy arrays in and out, DlnError for every non-zero status.

    import dlnsgd
    with dlnsgd.Model([m, w, w, n], seed=1, learning_rate=0.05, ridge=1e-3) as net:
        net.init_weights(dlnsgd.Init.GAUSSIAN, [0.3])
        net.set_observations(rows, cols, values)
        net.step(1000)
        print(net.loss(), net.singular_values())
"""
from . import constants
from ._lib import ABI_MAJOR, library_path
from ._version import __version__
# Every enum and count of the header (constants.py is generated from it).
from .constants import *  # noqa: F401,F403
from .errors import DlnError
from .ensemble import (
    Ensemble,
    clone_fresh,
    ensemble,
    kaplan_meier,
    kaplan_meier_median,
    summary,
    wilson_interval,
)
from .model import (
    OPTIONS,
    Model,
    param_bounds,
    param_name,
    rank_of_spectrum,
    status_name,
    status_string,
    version_number,
    version_string,
)


__all__ = [
    "ABI_MAJOR", "DlnError", "Model", "OPTIONS", "library_path", "param_bounds", "param_name",
    "rank_of_spectrum", "status_name", "status_string", "version_number",
    "version_string", "Ensemble", "clone_fresh", "ensemble", "kaplan_meier",
    "kaplan_meier_median", "summary", "wilson_interval",
] + [n for n in constants.__all__ if n not in ("C_PREFIX", "DESCRIPTIONS")]
