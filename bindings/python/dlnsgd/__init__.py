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
from ._version import __version__
from .constants import (
    BR_REPORT_SIZE,
    CHANGE_RECORD_SIZE,
    GRAD_REPORT_SIZE,
    JUMP_RECORD_SIZE,
    TRACE_RECORD_SIZE,
    BrField,
    ChangeField,
    GradField,
    Init,
    JumpField,
    JumpKind,
    Param,
    RankMeasure,
    Sampler,
    Schedule,
    Status,
    TraceField,
)
from .errors import DlnError
from .constants import (  # issue 13: fresh clones, ensembles, statistics
    KM_RECORD_SIZE,
    MEMBER_FIELD_COUNT,
    Z_95,
    CloneFlag,
    EnsembleScope,
    KMField,
    MemberField,
)
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
    "ABI_MAJOR", "BR_REPORT_SIZE", "JUMP_RECORD_SIZE", "BrField", "DlnError", "Init",
    "JumpField", "JumpKind", "Model", "OPTIONS", "Param", "RankMeasure", "Sampler",
    "Schedule", "Status", "library_path", "param_bounds", "param_name",
    "rank_of_spectrum", "status_name", "status_string", "version_number",
    "version_string", "CHANGE_RECORD_SIZE", "GRAD_REPORT_SIZE", "TRACE_RECORD_SIZE",
    "ChangeField", "GradField", "TraceField",
    "CloneFlag", "Ensemble", "EnsembleScope", "KMField", "KM_RECORD_SIZE", "MEMBER_FIELD_COUNT",
    "MemberField", "Z_95", "clone_fresh", "ensemble", "kaplan_meier", "kaplan_meier_median",
    "summary", "wilson_interval",
]
