"""The header's enumerations, value for value (checked against the header by
the test suite)."""
import enum


class Status(enum.IntEnum):
    OK = 0
    ERR_NULL_POINTER = -1
    ERR_INVALID_ARGUMENT = -2
    ERR_OUT_OF_RANGE = -3
    ERR_NOT_FINITE = -4
    ERR_UNKNOWN_PARAM = -5
    ERR_STATE = -6
    ERR_DIVERGED = -7
    ERR_NOMEM = -8
    ERR_LAPACK = -9
    ERR_IO = -10
    ERR_FORMAT = -11
    ERR_INTERNAL = -12


class Param(enum.IntEnum):
    LEARNING_RATE = 1
    RIDGE = 2
    BATCH_SIZE = 3
    SAMPLER = 4
    THREADS = 5
    JUMP_INTERVAL = 6
    JUMP_RTOL = 7
    RANK_ATOL = 8
    BR_RHO = 9
    BR_EPS = 10
    BR_DELTA = 11
    BR_C = 12
    TRACE_INTERVAL = 13


class Sampler(enum.IntEnum):
    WITH_REPLACEMENT = 0
    WITHOUT_REPLACEMENT = 1
    SUBSET = 2
    FULL_BATCH = 3


class Schedule(enum.IntEnum):
    CONSTANT = 0
    STEP_DECAY = 1
    EXPONENTIAL = 2
    COSINE = 3
    CYCLIC_TRIANGULAR = 4
    CYCLIC_COSINE = 5
    PIECEWISE = 6


class Init(enum.IntEnum):
    GAUSSIAN = 0
    END_TO_END = 1
    ORTHOGONAL = 2
    IDENTITY = 3


class RankMeasure(enum.IntEnum):
    NUMERICAL = 0
    EFFECTIVE = 1
    STABLE = 2


class BrField(enum.IntEnum):
    NORM2 = 0
    C = 1
    SIGMA = 2
    EPS = 3
    BALANCE = 4
    DELTA = 5
    RHO = 6
    INSIDE = 7
    MAX_RESIDUAL = 8
    PREMISE = 9
    SIGMA_LAYER = 10


BR_REPORT_SIZE = 11


class JumpKind(enum.IntEnum):
    ABSORBED = 1
    NUMERICAL = 2


class JumpField(enum.IntEnum):
    STEP = 0
    KIND = 1
    BEFORE = 2
    AFTER = 3


JUMP_RECORD_SIZE = 4


class ChangeField(enum.IntEnum):
    STEP = 0
    KIND = 1
    BEFORE = 2
    AFTER = 3
    SIGMA = 4
    SIGMA_LAYER = 5
    THRESHOLD = 6
    MAX_RESIDUAL = 7
    RHO = 8
    PREMISE = 9


CHANGE_RECORD_SIZE = 10


class TraceField(enum.IntEnum):
    STEP = 0
    DATA_COST = 1
    RIDGE_TERM = 2
    TEST_ERROR = 3
    ABSORBED_RANK = 4
    SIGMA = 5
    EPS = 6
    BALANCE = 7
    MAX_RESIDUAL = 8
    GRADIENT_NORM = 9


TRACE_RECORD_SIZE = 10


class GradField(enum.IntEnum):
    NORM = 0
    DATA = 1
    RIDGE = 2
    RELATIVE = 3
    CRITICAL = 4


GRAD_REPORT_SIZE = 5

# --- issue 13: fresh clones, ensembles, statistics (one block, for merging) ---
class CloneFlag(enum.IntEnum):
    NEW_SEED = 1
    RESET_STEP = 2
    EMPTY_LOGS = 4
    FRESH = 7


class EnsembleScope(enum.IntEnum):
    ALL = -1


class MemberField(enum.IntEnum):
    STEP = 0
    ENTRY_STEP = 1
    CENSORED = 2
    TIME = 3
    EXITS = 4
    INSIDE = 5
    ABSORBED_RANK = 6
    TRAIN_MSE = 7
    TEST_MSE = 8
    STATUS = 9


MEMBER_FIELD_COUNT = 10


class KMField(enum.IntEnum):
    TIME = 0
    AT_RISK = 1
    EVENTS = 2
    CENSORED = 3
    SURVIVAL = 4
    STD_ERROR = 5
    LOWER = 6
    UPPER = 7


KM_RECORD_SIZE = 8
Z_95 = 1.959963984540054  # DLN_Z_95
# --- end of issue 13 block ---

# C prefix of each enumeration's names in dlnsgd.h.
C_PREFIX = {
    Status: "DLN_",
    Param: "DLN_PARAM_",
    Sampler: "DLN_SAMPLER_",
    Schedule: "DLN_SCHEDULE_",
    Init: "DLN_INIT_",
    RankMeasure: "DLN_RANK_",
    BrField: "DLN_BR_",
    JumpKind: "DLN_JUMP_",
    ChangeField: "DLN_CHANGE_",
    TraceField: "DLN_TRACE_",
    GradField: "DLN_GRAD_",
    JumpField: "DLN_JUMP_",
    CloneFlag: "DLN_CLONE_",
    EnsembleScope: "DLN_ENSEMBLE_",
    MemberField: "DLN_MEMBER_",
    KMField: "DLN_KM_",
}
