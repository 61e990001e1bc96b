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


class Sampler(enum.IntEnum):
    WITH_REPLACEMENT = 0
    WITHOUT_REPLACEMENT = 1
    SUBSET = 2
    FULL_BATCH = 3


class Formulation(enum.IntEnum):
    NONE = 0
    SINGLE_ENTRY = 1
    CHAINS = 2
    ROWS_COLS = 3
    FUSED_BATCH = 4


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


BR_REPORT_SIZE = 8


class JumpKind(enum.IntEnum):
    ABSORBED = 1
    NUMERICAL = 2


class JumpField(enum.IntEnum):
    STEP = 0
    KIND = 1
    BEFORE = 2
    AFTER = 3


JUMP_RECORD_SIZE = 4

# C prefix of each enumeration's names in dlnsgd.h.
C_PREFIX = {
    Status: "DLN_",
    Param: "DLN_PARAM_",
    Sampler: "DLN_SAMPLER_",
    Formulation: "DLN_FORMULATION_",
    Schedule: "DLN_SCHEDULE_",
    Init: "DLN_INIT_",
    RankMeasure: "DLN_RANK_",
    BrField: "DLN_BR_",
    JumpKind: "DLN_JUMP_",
    JumpField: "DLN_JUMP_",
}
