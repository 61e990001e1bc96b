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
from ._lib import ABI_MAJOR, library_path
from .constants import (
    BR_REPORT_SIZE,
    JUMP_RECORD_SIZE,
    BrField,
    Formulation,
    Init,
    JumpField,
    JumpKind,
    Param,
    RankMeasure,
    Sampler,
    Schedule,
    Status,
)
from .errors import DlnError
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

__version__ = "0.1.0"

__all__ = [
    "ABI_MAJOR", "BR_REPORT_SIZE", "JUMP_RECORD_SIZE", "BrField", "DlnError", "Init",
    "JumpField", "JumpKind", "Model", "OPTIONS", "Param", "RankMeasure", "Sampler",
    "Schedule", "Status", "library_path", "param_bounds", "param_name",
    "rank_of_spectrum", "status_name", "status_string", "version_number",
    "version_string",
]
