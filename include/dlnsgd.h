/*
 * dlnsgd.h — SGD with L2 regularisation (weight decay) on deep linear
 * networks A = W_L ⋯ W_1, for matrix completion, behind a stable plain-C ABI.
 *
 * The mathematics is docs/mathematics.md (sections cited as math §n). This header is strict
 * C99 and includes only <stdint.h> and <stddef.h>.
 *
 * Conventions
 *   - Every function that can fail returns an int status: DLN_OK (0) or a
 *     negative DLN_ERR_* value whose number never changes. On error the handle
 *     is left exactly as it was and dln_last_error(model) names the offending
 *     argument and its value.
 *   - Each function's comment names the statuses it can return. Any call may
 *     also return DLN_ERR_NOMEM (allocation failed) and DLN_ERR_INTERNAL (a
 *     bug); calls that take pointers return DLN_ERR_NULL_POINTER for a NULL
 *     required pointer. A call listing DLN_ERR_LAPACK factorises matrices and
 *     may also return DLN_ERR_OUT_OF_RANGE for a width beyond LAPACK's 32-bit
 *     sizes. Functions returning void or const char * never fail.
 *   - Sizes and indices are int64_t, values are double. Indices are 0-based,
 *     except layers (1..L) and hidden layers (1..L-1), numbered as in §1.
 *   - Matrices are row-major. All buffers are owned by the caller.
 *   - The library never prints, never aborts, keeps no mutable global state,
 *     and no C++ exception crosses this boundary.
 *
 * Thread safety
 *   Distinct handles may be used concurrently from any number of threads.
 *   One handle must not be used by two threads at the same time, not even for
 *   const queries (they record the last-error string). dln_status_string,
 *   dln_status_name, dln_param_name, dln_param_bounds and the version calls
 *   are safe from any thread at any time. A handle whose DLN_PARAM_THREADS
 *   is 2 or more may keep that many - 1 helper threads of its own, started
 *   by the first step it splits over them and ended when it is destroyed or
 *   the count changes; they sleep while the handle is idle.
 *
 * Reproducibility (§4)
 *   Sampling and random initialisation are pure functions of (seed, step)
 *   (Philox, Random123): a run is bit-for-bit reproducible from (problem,
 *   initial weights, seed) on the same build and BLIS sub-configuration
 *   (chosen by BLIS from the CPU; its kernels round differently), whatever the split of steps
 *   across dln_step calls, checkpoints, and, for batch size 1, the thread
 *   count. Values below the smallest normal double are flushed to zero inside
 *   the step (the caller's floating-point environment is restored on return).
 */
#ifndef DLNSGD_H
#define DLNSGD_H

#include <stddef.h>
#include <stdint.h>

#define DLN_VERSION_MAJOR 0
#define DLN_VERSION_MINOR 1
#define DLN_VERSION_PATCH 0
#define DLN_VERSION_NUMBER \
  (DLN_VERSION_MAJOR * 10000 + DLN_VERSION_MINOR * 100 + DLN_VERSION_PATCH)

#if defined(_WIN32) && defined(DLN_BUILDING_LIBRARY)
#define DLN_API __declspec(dllexport)
#elif defined(_WIN32)
#define DLN_API __declspec(dllimport)
#elif defined(__GNUC__)
#define DLN_API __attribute__((visibility("default")))
#else
#define DLN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dln_model dln_model; /* opaque handle */

/* ------------------------------------------------------------------------
 * Status codes: X(name, value, description). Values are fixed forever.
 * ------------------------------------------------------------------------ */
#define DLN_STATUS_TABLE(X)                                                    \
  X(DLN_OK, 0, "success")                                                      \
  X(DLN_ERR_NULL_POINTER, -1, "a required pointer argument is NULL")          \
  X(DLN_ERR_INVALID_ARGUMENT, -2, "an argument has an invalid value")         \
  X(DLN_ERR_OUT_OF_RANGE, -3, "an index or size is out of range")             \
  X(DLN_ERR_NOT_FINITE, -4, "a value is NaN or infinite")                     \
  X(DLN_ERR_UNKNOWN_PARAM, -5, "unknown parameter, kind or option id")        \
  X(DLN_ERR_STATE, -6, "the call is not valid in the handle's current state") \
  X(DLN_ERR_DIVERGED, -7, "a step produced a non-finite value; state kept")   \
  X(DLN_ERR_NOMEM, -8, "memory allocation failed or size too large")          \
  X(DLN_ERR_LAPACK, -9, "a LAPACK routine failed")                            \
  X(DLN_ERR_IO, -10, "a file could not be read or written")                   \
  X(DLN_ERR_FORMAT, -11, "malformed, truncated or corrupted data")            \
  X(DLN_ERR_INTERNAL, -12, "internal error")

#define DLN_STATUS_ENUM_ENTRY_(name, value, text) name = value,
enum dln_status { DLN_STATUS_TABLE(DLN_STATUS_ENUM_ENTRY_) DLN_STATUS_LAST_ = -12 };
#undef DLN_STATUS_ENUM_ENTRY_

/* Static description of a status, never NULL ("unknown status" if unknown).
 * These, dln_last_error and the version calls never fail. */
DLN_API const char *dln_status_string(int status);
/* Static enumerator name, e.g. "DLN_ERR_NOT_FINITE"; "DLN_UNKNOWN_STATUS". */
DLN_API const char *dln_status_name(int status);
/* Detail of the last error on this handle, "" if none; valid until the next
 * call on the handle. A NULL handle gives a static message. */
DLN_API const char *dln_last_error(const dln_model *model);

/* Runtime version: DLN_VERSION_NUMBER of the library actually loaded. */
DLN_API int dln_version_number(void);
DLN_API const char *dln_version_string(void); /* "MAJOR.MINOR.PATCH" */

/* ------------------------------------------------------------------------
 * Options, by id, all as double. X(name, id, description).
 * ------------------------------------------------------------------------ */
#define DLN_PARAM_TABLE(X)                                                      \
  X(DLN_PARAM_LEARNING_RATE, 1, "base learning rate eta (schedules scale it)") \
  X(DLN_PARAM_RIDGE, 2, "base ridge lambda (schedules scale it)")             \
  X(DLN_PARAM_BATCH_SIZE, 3, "batch size b of sampled steps (integral)")      \
  X(DLN_PARAM_SAMPLER, 4, "batch sampler, a DLN_SAMPLER_* value")             \
  X(DLN_PARAM_THREADS, 5, "threads for batched products (integral, >= 1)")    \
  X(DLN_PARAM_JUMP_INTERVAL, 6, "check ranks every k steps in dln_step, 0 = off") \
  X(DLN_PARAM_JUMP_RTOL, 7, "rtol of the numerical rank of A in the rank-change log") \
  X(DLN_PARAM_RANK_ATOL, 8, "atol of the numerical ranks of this handle")     \
  X(DLN_PARAM_BR_RHO, 9, "residual bound rho of B_r; negative = default max|y_k|") \
  X(DLN_PARAM_BR_EPS, 10, "eps of B_r; negative = default (lambda_t/rho)^(1/(L-2))/2") \
  X(DLN_PARAM_BR_DELTA, 11, "balancedness bound delta of B_r; negative = default +inf") \
  X(DLN_PARAM_BR_C, 12, "norm bound C of B_r; negative = default 4 mean(y^2)/lambda_t") \
  X(DLN_PARAM_TRACE_INTERVAL, 13, "record a trace row every k steps in dln_step, 0 = off")

#define DLN_PARAM_ENUM_ENTRY_(name, value, text) name = value,
enum dln_param { DLN_PARAM_TABLE(DLN_PARAM_ENUM_ENTRY_) DLN_PARAM_LAST_ = 13 };
#undef DLN_PARAM_ENUM_ENTRY_

/* Samplers (§4). Full batch ignores the batch size (b = N). */
enum dln_sampler {
  DLN_SAMPLER_WITH_REPLACEMENT = 0,    /* i.i.d. uniform over Ω (default)      */
  DLN_SAMPLER_WITHOUT_REPLACEMENT = 1, /* reshuffled each epoch               */
  DLN_SAMPLER_SUBSET = 2,              /* i.i.d. uniform over dln_set_sample_subset */
  DLN_SAMPLER_FULL_BATCH = 3           /* B_t = Ω: gradient descent            */
};

/* DLN_OK, DLN_ERR_UNKNOWN_PARAM (param), DLN_ERR_NOT_FINITE (value),
 * DLN_ERR_INVALID_ARGUMENT (value outside dln_param_bounds, not integral for
 * an integral option, or 2*eta*lambda >= 1 at the largest scheduled rates). */
DLN_API int dln_set_param(dln_model *model, int param, double value);
/* DLN_OK, DLN_ERR_UNKNOWN_PARAM (param). */
DLN_API int dln_get_param(const dln_model *model, int param, double *value);
/* Closed range of valid values of a parameter (handle-independent). The
 * learning rate and ridge are further bound jointly by 2*eta*lambda < 1.
 * DLN_OK, DLN_ERR_UNKNOWN_PARAM (param). */
DLN_API int dln_param_bounds(int param, double *min_value, double *max_value);
/* dln_param_bounds that also explains a failure in message, like dln_create_ex.
 * Statuses as dln_param_bounds. */
DLN_API int dln_param_bounds_ex(int param, double *min_value, double *max_value, char *message,
                                int64_t capacity);
DLN_API const char *dln_param_name(int param); /* "DLN_PARAM_..." or NULL */

/* ------------------------------------------------------------------------
 * Lifecycle and shape
 * ------------------------------------------------------------------------ */
/* widths: depth+1 values n_0 = m (columns of the target) … n_L = n (rows).
 * Weights start at zero; use dln_init_weights or dln_set_weights.
 * DLN_OK, DLN_ERR_INVALID_ARGUMENT (depth outside [1, 1024], a width outside
 * [1, 2^40]), DLN_ERR_NOMEM (also: the weights would exceed 2^58 entries). */
DLN_API int dln_create(int64_t depth, const int64_t *widths, uint64_t seed,
                       dln_model **out);
/* dln_create that also explains a failure: "dln_create: <detail>" is written
 * to message (NUL-terminated, truncated to capacity; may be NULL), since
 * there is no handle to hold it. message is set to "" on success. Statuses
 * as dln_create. */
DLN_API int dln_create_ex(int64_t depth, const int64_t *widths, uint64_t seed, dln_model **out,
                          char *message, int64_t capacity);
DLN_API void dln_destroy(dln_model *model); /* NULL is a no-op */
/* Deep copy of everything (weights, data, options, schedules, log, step).
 * DLN_OK only (besides NULL pointers and allocation). */
DLN_API int dln_clone(const dln_model *model, dln_model **out);
/* Parts of a copy made fresh by dln_clone_ex: a bitwise OR of these. */
enum dln_clone_flag {
  DLN_CLONE_NEW_SEED = 1,   /* the copy's seed is `seed` (sampling of §4)           */
  DLN_CLONE_RESET_STEP = 2, /* step counter t = 0: schedules restart at f(0)         */
  DLN_CLONE_EMPTY_LOGS = 4, /* empty rank-change log with the last ranks forgotten   */
                            /* (as dln_clear_jumps), and an empty trace             */
  DLN_CLONE_FRESH = 7       /* all three: an ensemble member from a saved state     */
};
/* dln_clone, then the parts named in flags made fresh; flags 0 is dln_clone.
 * seed is read only with DLN_CLONE_NEW_SEED. Weights, data, options and
 * schedules are always copied. DLN_OK, DLN_ERR_NULL_POINTER,
 * DLN_ERR_INVALID_ARGUMENT (a bit outside DLN_CLONE_FRESH), DLN_ERR_NOMEM. */
DLN_API int dln_clone_ex(const dln_model *model, int flags, uint64_t seed, dln_model **out);

/* DLN_OK only (besides NULL pointers). */
DLN_API int dln_get_depth(const dln_model *model, int64_t *depth);
/* Writes depth+1 widths; capacity must be >= depth+1.
 * DLN_OK, DLN_ERR_OUT_OF_RANGE (capacity). */
DLN_API int dln_get_widths(const dln_model *model, int64_t *widths, int64_t capacity);
/* dln_get_seed, dln_set_seed, dln_get_step_count: DLN_OK only (besides NULL
 * pointers). */
DLN_API int dln_get_seed(const dln_model *model, uint64_t *seed);
DLN_API int dln_set_seed(dln_model *model, uint64_t seed);
/* The step counter t: the next step uses eta_t, lambda_t and batch B_t.
 * dln_set_step_count: DLN_OK, DLN_ERR_INVALID_ARGUMENT (step < 0). */
DLN_API int dln_get_step_count(const dln_model *model, int64_t *step);
DLN_API int dln_set_step_count(dln_model *model, int64_t step);

/* ------------------------------------------------------------------------
 * Data (§2). Observations are copied. Duplicates count separately.
 * ------------------------------------------------------------------------ */
/* DLN_OK, DLN_ERR_INVALID_ARGUMENT (count <= 0), DLN_ERR_OUT_OF_RANGE (a row
 * or column outside the shape, or count too small for the sample subset
 * set), DLN_ERR_NOT_FINITE (values). */
DLN_API int dln_set_observations(dln_model *model, int64_t count, const int64_t *rows,
                                 const int64_t *cols, const double *values);
/* DLN_OK only (besides NULL pointers). */
DLN_API int dln_get_observation_count(const dln_model *model, int64_t *count);
/* Held-out set for dln_test_error; count 0 clears it. DLN_OK,
 * DLN_ERR_INVALID_ARGUMENT (count < 0), DLN_ERR_OUT_OF_RANGE (a row or
 * column outside the shape), DLN_ERR_NOT_FINITE (values). */
DLN_API int dln_set_test_observations(dln_model *model, int64_t count, const int64_t *rows,
                                      const int64_t *cols, const double *values);
/* Full ground-truth n × m matrix for dln_test_error (NULL clears it). Takes
 * precedence over the held-out set when both are given. DLN_OK,
 * DLN_ERR_NOT_FINITE (truth), DLN_ERR_NOMEM (also: n × m too large). */
DLN_API int dln_set_ground_truth(dln_model *model, const double *truth);
/* Pool of observation indices for DLN_SAMPLER_SUBSET; count 0 clears it.
 * DLN_OK, DLN_ERR_INVALID_ARGUMENT (count < 0), DLN_ERR_STATE (count > 0
 * without observations), DLN_ERR_OUT_OF_RANGE (an index outside Ω). */
DLN_API int dln_set_sample_subset(dln_model *model, int64_t count, const int64_t *indices);

/* ------------------------------------------------------------------------
 * Schedules (§4): eta_t = base_eta * f(t) and lambda_t = base_lambda * f(t),
 * f a pure function of t. Applies to DLN_PARAM_LEARNING_RATE or
 * DLN_PARAM_RIDGE. args per kind (T, P, k integral and >= 1):
 *   CONSTANT      none                    f = 1
 *   STEP_DECAY    {gamma, k}              f = gamma^floor(t/k)
 *   EXPONENTIAL   {gamma}                 f = gamma^t
 *   COSINE        {floor, T}              f = floor + (1-floor)(1+cos(pi min(t,T)/T))/2
 *   CYCLIC_TRIANGULAR {floor, P}          f goes 1 → floor → 1 linearly, period P
 *   CYCLIC_COSINE {floor, P}              f = floor + (1-floor)(1+cos(2 pi (t mod P)/P))/2
 *   PIECEWISE     {t_1, f_1, t_2, f_2, …} f = 1 for t < t_1, f_i for t_i <= t < t_{i+1};
 *                                          t_i strictly increasing, >= 1
 * Factors must be finite and >= 0; gamma in (0, 1], floor in [0, 1]. The
 * largest eta_t and lambda_t over all t must keep 2 eta lambda < 1.
 * dln_set_schedule: DLN_OK, DLN_ERR_UNKNOWN_PARAM (param not LEARNING_RATE
 * or RIDGE, unknown kind), DLN_ERR_INVALID_ARGUMENT (nargs, an argument out
 * of its range, 2 eta lambda >= 1), DLN_ERR_NOT_FINITE (args).
 * ------------------------------------------------------------------------ */
enum dln_schedule_kind {
  DLN_SCHEDULE_CONSTANT = 0,
  DLN_SCHEDULE_STEP_DECAY = 1,
  DLN_SCHEDULE_EXPONENTIAL = 2,
  DLN_SCHEDULE_COSINE = 3,
  DLN_SCHEDULE_CYCLIC_TRIANGULAR = 4,
  DLN_SCHEDULE_CYCLIC_COSINE = 5,
  DLN_SCHEDULE_PIECEWISE = 6
};
DLN_API int dln_set_schedule(dln_model *model, int param, int kind, int64_t nargs,
                             const double *args);
/* eta_t or lambda_t at step t >= 0 (param is LEARNING_RATE or RIDGE).
 * DLN_OK, DLN_ERR_UNKNOWN_PARAM (param), DLN_ERR_INVALID_ARGUMENT (step < 0). */
DLN_API int dln_schedule_value(const dln_model *model, int param, int64_t step,
                               double *value);

/* ------------------------------------------------------------------------
 * Weights and initialisation (§4)
 * ------------------------------------------------------------------------ */
/* layer is 1..L; w is row-major n_ℓ × n_{ℓ-1}. DLN_OK, DLN_ERR_OUT_OF_RANGE
 * (layer), and for dln_set_weights DLN_ERR_NOT_FINITE (w). */
DLN_API int dln_set_weights(dln_model *model, int64_t layer, const double *w);
DLN_API int dln_get_weights(const dln_model *model, int64_t layer, double *w);

enum dln_init_kind {
  DLN_INIT_GAUSSIAN = 0,    /* args: 1 std for all layers, or L stds (one per layer) */
  DLN_INIT_END_TO_END = 1,  /* args {s}: W_ℓ ~ N(0, s^(2/L) / n_{ℓ-1})              */
  DLN_INIT_ORTHOGONAL = 2,  /* args {scale}: scale × (semi-)orthogonal Haar factor   */
  DLN_INIT_IDENTITY = 3     /* args {scale}: scale × rectangular identity            */
};
/* Random draws use the handle's seed on a stream separate from sampling.
 * DLN_OK, DLN_ERR_UNKNOWN_PARAM (kind), DLN_ERR_INVALID_ARGUMENT (nargs, a
 * negative argument, a scale that makes a weight overflow),
 * DLN_ERR_NOT_FINITE (args), DLN_ERR_LAPACK (DLN_INIT_ORTHOGONAL's QR). */
DLN_API int dln_init_weights(dln_model *model, int kind, int64_t nargs, const double *args);
/* Balanced factorisation of a row-major n × m matrix A0 = U S V^T (§4):
 * W_L = U S^(1/L), inner layers S^(1/L), W_1 = S^(1/L) V^T, zero-padded.
 * DLN_OK, DLN_ERR_NOT_FINITE (a0), DLN_ERR_LAPACK (the SVD). */
DLN_API int dln_init_balanced(dln_model *model, const double *a0);

/* ------------------------------------------------------------------------
 * Stepping (§3)
 * ------------------------------------------------------------------------ */
/* `steps` sampled steps. On an error the state is that before the failing
 * step (the steps before it are kept) and the message gives its step number.
 * The rank check and trace row of DLN_PARAM_JUMP_INTERVAL /
 * DLN_PARAM_TRACE_INTERVAL run after their step is applied; if they fail
 * (DLN_ERR_LAPACK, DLN_ERR_NOMEM), that step is undone as well (to do so,
 * the handle keeps a copy of the weights while either interval is on).
 * DLN_OK, DLN_ERR_INVALID_ARGUMENT (steps < 0), DLN_ERR_STATE (no
 * observations, or DLN_SAMPLER_SUBSET without a subset), DLN_ERR_OUT_OF_RANGE
 * (the step counter would overflow), DLN_ERR_DIVERGED, DLN_ERR_LAPACK and
 * DLN_ERR_NOMEM (the rank checks and trace rows; NOMEM also a batch
 * workspace that does not fit). */
DLN_API int dln_step(dln_model *model, int64_t steps);
/* One step on an explicit batch (indices into Ω, repeats allowed); on an
 * error the state is that before it, as for dln_step. DLN_OK,
 * DLN_ERR_STATE (no observations), DLN_ERR_INVALID_ARGUMENT (b < 1),
 * DLN_ERR_OUT_OF_RANGE (an index outside Ω, the step counter at INT64_MAX),
 * DLN_ERR_DIVERGED, DLN_ERR_LAPACK, DLN_ERR_NOMEM (as dln_step). */
DLN_API int dln_step_batch(dln_model *model, int64_t b, const int64_t *observation_indices);

/* Formulations of the step (§8), chosen per step by a cost model from the
 * batch size b, its numbers of distinct columns p and rows q, and the widths;
 * never by the caller. X(name, id, description). */
#define DLN_FORMULATION_TABLE(X)                                                        \
  X(DLN_FORMULATION_NONE, 0, "no step attempted since the handle was made")             \
  X(DLN_FORMULATION_SINGLE_ENTRY, 1, "b = 1: one rank-one chain, fused kernel")         \
  X(DLN_FORMULATION_CHAINS, 2, "b rank-one chains: products with b columns")            \
  X(DLN_FORMULATION_ROWS_COLS, 3, "p distinct columns, q rows: products with p, q")     \
  X(DLN_FORMULATION_FUSED_BATCH, 4, "b rank-one chains in fused loops, no BLIS")        \
  X(DLN_FORMULATION_SMALL_WIDTH, 5, "b = 1, hidden widths <= 64: plain loops, no BLIS") \
  X(DLN_FORMULATION_DENSE_BLOCK, 6, "A on the q x p block of the batch, dense gemms")   \
  X(DLN_FORMULATION_SPARSE_BLOCK, 7, "residuals backpropagated over the p columns")

#define DLN_FORMULATION_ENUM_ENTRY_(name, value, text) name = value,
enum dln_formulation { DLN_FORMULATION_TABLE(DLN_FORMULATION_ENUM_ENTRY_) DLN_FORMULATION_LAST_ = 7 };
#undef DLN_FORMULATION_ENUM_ENTRY_

/* The formulation of the last step attempted on this handle (also one that
 * diverged); DLN_FORMULATION_NONE before the first step of a created or
 * loaded handle, that of its original for a clone. Returns DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_last_step_formulation(const dln_model *model, int *formulation);
/* "DLN_FORMULATION_..." or NULL if unknown. */
DLN_API const char *dln_formulation_name(int formulation);

/* ------------------------------------------------------------------------
 * Observables (§5). Ranks of a spectrum σ_1 >= σ_2 >= …
 * Every observable is computed without overflow for any finite state
 * (matrices are scaled by a power of two before they are factorised); a
 * value that itself exceeds the largest double (σ_1(A_θ) of weights near
 * 1e308) is refused with DLN_ERR_OUT_OF_RANGE, and the ranks of that
 * matrix can still be asked. Default tolerance: atol = rtol = 0 means
 * rtol = max(rows, cols)·2^-53 for the matrix the spectrum belongs to.
 * ------------------------------------------------------------------------ */
/* data_cost = C(A_θ); ridge_term = lambda_t ‖θ‖² at the current step t,
 * each computed without overflow of its squares. DLN_OK, DLN_ERR_STATE (no
 * observations), DLN_ERR_OUT_OF_RANGE (either value exceeds the largest
 * double; neither is written). */
DLN_API int dln_loss(const dln_model *model, double *data_cost, double *ridge_term);
/* ‖θ‖² = Σ_ℓ ‖W_ℓ‖_F², computed without overflow of its squares. DLN_OK,
 * DLN_ERR_OUT_OF_RANGE (‖θ‖² exceeds the largest double; nothing written). */
DLN_API int dln_weight_norm2(const dln_model *model, double *norm2);
/* MSE on the ground truth if set, else on the held-out set.
 * DLN_OK, DLN_ERR_STATE (neither is set). */
DLN_API int dln_test_error(const dln_model *model, double *error);

/* Singular values of A_θ, descending, from the factored form (thin QRs of
 * W_1^T and W_L, then the SVD of the small core), never forming A_θ. There
 * are k = min_ℓ n_ℓ of them; *count is set to k and the largest
 * min(k, capacity) are written (out may be NULL when capacity is 0).
 * DLN_OK, DLN_ERR_INVALID_ARGUMENT (capacity < 0), DLN_ERR_OUT_OF_RANGE
 * (σ_1 exceeds the largest double), DLN_ERR_LAPACK. */
DLN_API int dln_singular_values(const dln_model *model, double *out, int64_t capacity,
                                int64_t *count);
/* Singular values of W_ℓ (min(n_ℓ, n_{ℓ-1}) of them), same conventions and
 * statuses, and DLN_ERR_OUT_OF_RANGE for a layer outside 1..L. */
DLN_API int dln_layer_singular_values(const dln_model *model, int64_t layer, double *out,
                                      int64_t capacity, int64_t *count);
/* Singular values of M_k = [W_k, W_{k+1}^T], hidden layer k in 1..L-1
 * (n_k of them); for depth 1, k = 1 gives those of W_1. Statuses as
 * dln_singular_values, and DLN_ERR_OUT_OF_RANGE for k outside 1..L-1. */
DLN_API int dln_bottleneck_singular_values(const dln_model *model, int64_t k, double *out,
                                           int64_t capacity, int64_t *count);

/* Numerical rank of A_θ: #{σ_i > rtol·σ_1}, rtol in [0, 1); rtol = 0 is the
 * default max(n, m)·2^-53. DLN_OK, DLN_ERR_INVALID_ARGUMENT (rtol),
 * DLN_ERR_LAPACK. */
DLN_API int dln_query_rank(const dln_model *model, double rtol, int64_t *rank);

enum dln_rank_measure {
  DLN_RANK_NUMERICAL = 0, /* #{σ_i > max(atol, rtol·σ_1)}                  */
  DLN_RANK_EFFECTIVE = 1, /* exp(H(p)), p_i = σ_i/Σσ (Roy & Vetterli); 0 if σ = 0 */
  DLN_RANK_STABLE = 2     /* Σσ_i²/σ_1²; 0 if σ = 0                          */
};
/* A rank measure of a spectrum given by the caller (any order, >= 0).
 * Without a matrix, the default tolerance (atol = rtol = 0) takes count as
 * max(rows, cols): rtol = count·2^-53. DLN_OK, DLN_ERR_INVALID_ARGUMENT
 * (count < 0, a negative sigma, atol not finite or < 0, rtol outside
 * [0, 1)), DLN_ERR_NOT_FINITE (sigma), DLN_ERR_UNKNOWN_PARAM (measure). */
DLN_API int dln_rank_of_spectrum(const double *sigma, int64_t count, int measure,
                                 double atol, double rtol, double *rank);
/* dln_rank_of_spectrum that also explains a failure in message, like
 * dln_create_ex. Statuses as dln_rank_of_spectrum. */
DLN_API int dln_rank_of_spectrum_ex(const double *sigma, int64_t count, int measure,
                                    double atol, double rtol, double *rank, char *message,
                                    int64_t capacity);
/* target: 0 = A_θ, ℓ = 1..L = W_ℓ. DLN_OK, DLN_ERR_OUT_OF_RANGE (target),
 * DLN_ERR_UNKNOWN_PARAM (measure), DLN_ERR_INVALID_ARGUMENT (atol, rtol as
 * for dln_rank_of_spectrum), DLN_ERR_LAPACK. */
DLN_API int dln_rank(const dln_model *model, int64_t target, int measure, double atol,
                     double rtol, double *rank);
/* Numerical ranks of M_k for k = 1..L-1 into ranks[0..L-2] (capacity >= L-1;
 * for depth 1, one value: the rank of W_1). DLN_OK, DLN_ERR_INVALID_ARGUMENT
 * (atol, rtol), DLN_ERR_OUT_OF_RANGE (capacity), DLN_ERR_LAPACK. */
DLN_API int dln_bottleneck_ranks(const dln_model *model, double atol, double rtol,
                                 int64_t *ranks, int64_t capacity);
/* max_ℓ ‖W_{ℓ+1}^T W_{ℓ+1} − W_ℓ W_ℓ^T‖_2 (0 for depth 1). DLN_OK,
 * DLN_ERR_OUT_OF_RANGE (the residual exceeds the largest double),
 * DLN_ERR_LAPACK. */
DLN_API int dln_balancedness(const dln_model *model, double *residual);
/* L Σ_i σ_i(A_θ)^(2/L). DLN_OK, DLN_ERR_OUT_OF_RANGE (the cost exceeds the
 * largest double), DLN_ERR_LAPACK. */
DLN_API int dln_representation_cost(const dln_model *model, double *cost);
/* Euclidean norms of the n_{L-1} columns of W_L / the n_1 rows of W_1.
 * DLN_OK, DLN_ERR_OUT_OF_RANGE (capacity too small, or a norm exceeds the
 * largest double). */
DLN_API int dln_output_column_norms(const dln_model *model, double *out, int64_t capacity);
DLN_API int dln_input_row_norms(const dln_model *model, double *out, int64_t capacity);

/* ------------------------------------------------------------------------
 * Absorbing sets B_r (§6). The thresholds are fixed numbers, never
 * functions of the current θ: a handle's ρ, ε, δ, C are the options
 * DLN_PARAM_BR_RHO … DLN_PARAM_BR_C, each a caller's number (>= 0) or, when
 * negative (the default, read back as -1), the default of §6 for the ridge
 * λ_t in force at the current step t:
 *   ρ = max_k |y_k|,  ε = ½ (λ_t/ρ)^(1/(L−2)) (0 for L <= 2 or λ_t = 0,
 *   +inf for ρ = 0),  δ = +inf,  C = 4 mean_k(y_k²)/λ_t (+inf for λ_t = 0).
 * The barrier's premise is max_k |r_k| <= ρ at θ; reports show it.
 * ------------------------------------------------------------------------ */
/* θ ∈ B_r(eps, delta, C)? A negative threshold means "the handle's value".
 * Returns DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_INVALID_ARGUMENT (r < 0),
 * DLN_ERR_NOT_FINITE (a NaN threshold), DLN_ERR_STATE (a default needs the
 * observations and there are none), DLN_ERR_NOMEM, DLN_ERR_LAPACK. */
DLN_API int dln_in_Br(const dln_model *model, int64_t r, double eps, double delta,
                      double C, int *inside);
/* Smallest r >= 0 with θ ∈ B_r at the handle's thresholds; if θ is in no
 * B_r (‖θ‖² > C or balancedness > δ) it is one more than the largest
 * possible rank (max_k min(n_k, n_{k-1} + n_{k+1})). Statuses as dln_in_Br. */
DLN_API int dln_query_absorbed_rank(const dln_model *model, int64_t *rank);

/* Fields of the report: each measured quantity next to its threshold. */
enum dln_br_field {
  DLN_BR_NORM2 = 0,        /* ‖θ‖²                                            */
  DLN_BR_C = 1,            /* bound C it is compared with                     */
  DLN_BR_SIGMA = 2,        /* max_k σ_{r+1}(M_k)                              */
  DLN_BR_EPS = 3,          /* ε                                               */
  DLN_BR_BALANCE = 4,      /* balancedness residual                           */
  DLN_BR_DELTA = 5,        /* δ (+inf by default)                             */
  DLN_BR_RHO = 6,          /* ρ (NaN without observations)                    */
  DLN_BR_INSIDE = 7,       /* 1.0 if θ ∈ B_r else 0.0                         */
  DLN_BR_MAX_RESIDUAL = 8, /* max_k |r_k| at θ (NaN without observations)     */
  DLN_BR_PREMISE = 9,      /* 1.0 if max_k |r_k| <= ρ: the barrier applies    */
  DLN_BR_SIGMA_LAYER = 10, /* the hidden layer k attaining DLN_BR_SIGMA       */
  DLN_BR_REPORT_SIZE = 11
};
/* report: DLN_BR_REPORT_SIZE doubles indexed by enum dln_br_field.
 * Statuses as dln_in_Br. */
DLN_API int dln_Br_report(const dln_model *model, int64_t r, double eps, double delta,
                          double C, double *report);

/* ------------------------------------------------------------------------
 * Rank-change log (§6): with DLN_PARAM_JUMP_INTERVAL = k > 0, dln_step
 * checks every k steps the absorbed rank and the numerical rank of A_θ
 * (atol DLN_PARAM_RANK_ATOL, rtol DLN_PARAM_JUMP_RTOL) and records every
 * change of either, decreases and increases. A check costs no pass over the
 * observations (the premise is evaluated only when a change is recorded),
 * never changes the trajectory, and nothing is computed when k = 0.
 * ------------------------------------------------------------------------ */
enum dln_jump_kind { DLN_JUMP_ABSORBED = 1, DLN_JUMP_NUMERICAL = 2 };
enum dln_change_field {
  DLN_CHANGE_STEP = 0,         /* step count t at which the new rank was observed  */
  DLN_CHANGE_KIND = 1,         /* a dln_jump_kind                                  */
  DLN_CHANGE_BEFORE = 2,       /* rank at the previous check                       */
  DLN_CHANGE_AFTER = 3,        /* rank now                                         */
  DLN_CHANGE_SIGMA = 4,        /* deciding value σ_{min(before,after)+1}: of M_k    */
                               /* (max over k) for ABSORBED, of A_θ for NUMERICAL  */
  DLN_CHANGE_SIGMA_LAYER = 5,  /* its hidden layer k (0 for NUMERICAL)             */
  DLN_CHANGE_THRESHOLD = 6,    /* ε (ABSORBED) or max(atol, rtol σ_1) (NUMERICAL)  */
  DLN_CHANGE_MAX_RESIDUAL = 7, /* max_k |r_k| at that step                         */
  DLN_CHANGE_RHO = 8,          /* ρ at that step                                   */
  DLN_CHANGE_PREMISE = 9,      /* 1.0 if max_k |r_k| <= ρ                          */
  DLN_CHANGE_RECORD_SIZE = 10
};
/* Number of records. DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_rank_change_count(const dln_model *model, int64_t *count);
/* Records first..first+count-1, each DLN_CHANGE_RECORD_SIZE doubles (ranks and
 * steps are exact integers). DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_OUT_OF_RANGE. */
DLN_API int dln_get_rank_changes(const dln_model *model, int64_t first, int64_t count,
                                 double *records);

/* The jump view of the log: its decreases only, in order, as int64_t. */
enum dln_jump_field {
  DLN_JUMP_STEP = 0,   /* step count t at which the lower rank was observed */
  DLN_JUMP_KIND = 1,   /* a dln_jump_kind                                    */
  DLN_JUMP_BEFORE = 2, /* rank at the previous check                         */
  DLN_JUMP_AFTER = 3,  /* rank now                                           */
  DLN_JUMP_RECORD_SIZE = 4
};
/* DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_jump_count(const dln_model *model, int64_t *count);
/* Decreases first..first+count-1, each DLN_JUMP_RECORD_SIZE int64_t.
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_OUT_OF_RANGE. */
DLN_API int dln_get_jumps(const dln_model *model, int64_t first, int64_t count,
                          int64_t *records);
/* Empties the rank-change log and forgets the ranks of the last check.
 * DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_clear_jumps(dln_model *model);

/* ------------------------------------------------------------------------
 * Trace (§6): with DLN_PARAM_TRACE_INTERVAL = k > 0, dln_step appends one
 * row every k steps (at t ≡ 0 mod k, after the step). Each row is a pass over
 * the observations (losses, residuals, gradient), so choose k accordingly.
 * Recording never changes the trajectory. A field whose value exceeds the
 * largest double (C(A_θ), λ_t ‖θ‖² of an extreme state) is recorded as +inf.
 * ------------------------------------------------------------------------ */
enum dln_trace_field {
  DLN_TRACE_STEP = 0,           /* step count t                                  */
  DLN_TRACE_DATA_COST = 1,      /* C(A_θ)                                        */
  DLN_TRACE_RIDGE_TERM = 2,     /* λ_t ‖θ‖²                                      */
  DLN_TRACE_TEST_ERROR = 3,     /* test error, NaN without test data             */
  DLN_TRACE_ABSORBED_RANK = 4,  /* absorbed rank r                               */
  DLN_TRACE_SIGMA = 5,          /* max_k σ_{r+1}(M_k) at that r                  */
  DLN_TRACE_EPS = 6,            /* ε                                             */
  DLN_TRACE_BALANCE = 7,        /* balancedness residual                         */
  DLN_TRACE_MAX_RESIDUAL = 8,   /* max_k |r_k|                                   */
  DLN_TRACE_GRADIENT_NORM = 9,  /* ‖∇L_λ(θ)‖ over all observations              */
  DLN_TRACE_RECORD_SIZE = 10
};
/* DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_trace_count(const dln_model *model, int64_t *count);
/* Rows first..first+count-1, each DLN_TRACE_RECORD_SIZE doubles.
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_OUT_OF_RANGE. */
DLN_API int dln_get_trace(const dln_model *model, int64_t first, int64_t count,
                          double *rows);
/* DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_clear_trace(dln_model *model);

/* ------------------------------------------------------------------------
 * Gradient (§5): ∇L_λ(θ) over all observations at the ridge λ_t in force.
 * ------------------------------------------------------------------------ */
enum dln_gradient_field {
  DLN_GRAD_NORM = 0,      /* ‖∇L_λ(θ)‖ = (Σ_ℓ ‖∂L_λ/∂W_ℓ‖_F²)^(1/2)                */
  DLN_GRAD_DATA = 1,      /* ‖∇C(A_θ)‖, the data part alone                        */
  DLN_GRAD_RIDGE = 2,     /* 2 λ_t ‖θ‖, the ridge part alone                       */
  DLN_GRAD_RELATIVE = 3,  /* NORM / (DATA + RIDGE), 0 when both parts are 0        */
  DLN_GRAD_CRITICAL = 4,  /* 1.0 if RELATIVE <= 1e-12: θ is a critical point up to  */
                          /* rounding (the parts cancel to 12 digits)              */
  DLN_GRAD_REPORT_SIZE = 5
};
/* report: DLN_GRAD_REPORT_SIZE doubles; per_layer (may be NULL when capacity
 * is 0): ‖∂L_λ/∂W_ℓ‖_F for ℓ = 1..L into per_layer[0..L-1], capacity >= L.
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_OUT_OF_RANGE (capacity), DLN_ERR_STATE
 * (no observations), DLN_ERR_NOMEM. */
DLN_API int dln_gradient_norm(const dln_model *model, double *report, double *per_layer,
                              int64_t capacity);

/* ------------------------------------------------------------------------
 * Checkpoints: the whole state in a versioned binary format with a CRC.
 * ------------------------------------------------------------------------ */
/* Written atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory. A path that names something other than a regular
 * file (a FIFO, a device, a directory, a symlink) is refused with
 * DLN_ERR_IO and left alone; a replaced file keeps its permissions; no
 * temporary file is left behind on failure. Messages carry strerror.
 * DLN_OK, DLN_ERR_INVALID_ARGUMENT (path is ""), DLN_ERR_IO. */
DLN_API int dln_save(const dln_model *model, const char *path);
/* Creates a new handle from a file; *out is untouched on error.
 * DLN_OK, DLN_ERR_IO (cannot open or read the file), DLN_ERR_FORMAT (not a
 * regular file, or malformed, truncated or corrupted contents). */
DLN_API int dln_load(const char *path, dln_model **out);
/* In memory: *size is set to the bytes needed; written if capacity >= size
 * (buffer may be NULL when capacity is 0). DLN_OK, DLN_ERR_INVALID_ARGUMENT
 * (capacity < 0), DLN_ERR_NOMEM (also: more than 2^63 bytes). */
DLN_API int dln_save_buffer(const dln_model *model, void *buffer, int64_t capacity,
                            int64_t *size);
/* DLN_OK, DLN_ERR_INVALID_ARGUMENT (size < 0), DLN_ERR_FORMAT. */
DLN_API int dln_load_buffer(const void *buffer, int64_t size, dln_model **out);
/* The same, with the failure explained in message (like dln_create_ex).
 * Statuses as dln_load and dln_load_buffer. */
DLN_API int dln_load_ex(const char *path, dln_model **out, char *message, int64_t capacity);
DLN_API int dln_load_buffer_ex(const void *buffer, int64_t size, dln_model **out, char *message,
                               int64_t capacity);

/* ------------------------------------------------------------------------
 * Ensembles (§6): K members from one state, stepped side by side, each
 * watching for its first entry into B_r. Member i (0-based) is what
 * dln_clone_ex(model, DLN_CLONE_FRESH, seeds[i]) returns: the state's
 * weights, data, options and schedules, its own seed, step counter 0, empty
 * logs. Its trajectory is bit for bit that of such a clone stepped alone,
 * for any thread count, and watching never changes it. Options can differ
 * per member (one grid point of η, λ, b per group of members).
 * Thread safety as for dln_model: one ensemble, one thread at a time (the
 * ensemble runs its own threads inside dln_ensemble_step).
 * ------------------------------------------------------------------------ */
typedef struct dln_ensemble dln_ensemble; /* opaque handle */

enum dln_ensemble_scope { DLN_ENSEMBLE_ALL = -1 /* every member, all or none */ };

/* Per-member results, read by dln_ensemble_results, one field at a time. */
enum dln_member_field {
  DLN_MEMBER_STEP = 0,          /* the member's step count t                        */
  DLN_MEMBER_ENTRY_STEP = 1,    /* first checked t with θ ∈ B_r; -1 if none yet     */
  DLN_MEMBER_CENSORED = 2,      /* 1 if not entered by t = STEP (right-censored)    */
  DLN_MEMBER_TIME = 3,          /* ENTRY_STEP if entered, else STEP: the observed   */
                                /* time for dln_kaplan_meier                        */
  DLN_MEMBER_EXITS = 4,         /* checks finding θ outside B_r after a check that  */
                                /* found it inside (0 unless it entered)            */
  DLN_MEMBER_INSIDE = 5,        /* 1 if θ ∈ B_r at the last check                   */
  DLN_MEMBER_ABSORBED_RANK = 6, /* dln_query_absorbed_rank                          */
  DLN_MEMBER_TRAIN_MSE = 7,     /* C(A_θ), the data cost of dln_loss                */
  DLN_MEMBER_TEST_MSE = 8,      /* dln_test_error; NaN without test data            */
  DLN_MEMBER_STATUS = 9,        /* DLN_OK, or the status that stopped the member    */
  DLN_MEMBER_RECORD_SIZE = 10
};

/* members >= 1 seeds; the model is only read, and a failure is explained in
 * dln_last_error(model). DLN_OK, DLN_ERR_NULL_POINTER,
 * DLN_ERR_INVALID_ARGUMENT (members outside [1, 2^20]), DLN_ERR_STATE (no
 * observations), DLN_ERR_NOMEM. */
DLN_API int dln_ensemble_create(const dln_model *model, int64_t members, const uint64_t *seeds,
                                dln_ensemble **out);
DLN_API void dln_ensemble_destroy(dln_ensemble *ensemble); /* NULL is a no-op */
/* As dln_last_error, for an ensemble. */
DLN_API const char *dln_ensemble_last_error(const dln_ensemble *ensemble);
/* DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_ensemble_size(const dln_ensemble *ensemble, int64_t *members);
/* dln_set_param on one member, or on every member for DLN_ENSEMBLE_ALL (if
 * one refuses, none changes). DLN_OK, DLN_ERR_NULL_POINTER,
 * DLN_ERR_OUT_OF_RANGE (member), and the statuses of dln_set_param. */
DLN_API int dln_ensemble_set_param(dln_ensemble *ensemble, int64_t member, int param,
                                   double value);
/* dln_get_param of one member (0-based). Statuses as dln_ensemble_set_param. */
DLN_API int dln_ensemble_get_param(const dln_ensemble *ensemble, int64_t member, int param,
                                   double *value);
/* Watch B_r from now on: a member is checked, with dln_in_Br(member, r, -1,
 * -1, -1) (its own fixed thresholds of §6), whenever its step count is a
 * multiple of check_every, the current one included (checked at the next
 * dln_ensemble_step). Forgets every entry and exit recorded so far.
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_INVALID_ARGUMENT (r < 0,
 * check_every < 1). */
DLN_API int dln_ensemble_watch(dln_ensemble *ensemble, int64_t r, int64_t check_every);
/* `steps` more steps of every running member on `threads` threads (1..1024),
 * with the due checks; steps = 0 only performs the check due at the current
 * step. Afterwards the results describe every member. Invalid input leaves
 * the ensemble unchanged: DLN_ERR_NULL_POINTER, DLN_ERR_INVALID_ARGUMENT,
 * DLN_ERR_OUT_OF_RANGE (a step counter would overflow), DLN_ERR_STATE (a
 * member cannot step, as dln_step says). When a member fails while stepping
 * (DLN_ERR_DIVERGED: its state is the one before the failing step, as in
 * dln_step; DLN_ERR_NOMEM, DLN_ERR_LAPACK; DLN_ERR_OUT_OF_RANGE when its
 * dln_loss exceeds the largest double) it stops there with that status
 * in DLN_MEMBER_STATUS, is right-censored at its step count and is not stepped
 * again; the others complete their steps and the call returns the status of
 * the first member that stopped, named in dln_ensemble_last_error. */
DLN_API int dln_ensemble_step(dln_ensemble *ensemble, int64_t steps, int64_t threads);
/* One field (enum dln_member_field) of every member into values[0..K-1]
 * (integers are exact). The absorbed rank and the losses are those of the
 * state at the end of the last dln_ensemble_step, computed when first asked
 * for. DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_UNKNOWN_PARAM (field),
 * DLN_ERR_OUT_OF_RANGE (capacity < K), DLN_ERR_STATE (no dln_ensemble_step
 * since the ensemble was created, watched or had an option changed; or a
 * watch field without dln_ensemble_watch), DLN_ERR_NOMEM, DLN_ERR_LAPACK (as
 * dln_query_absorbed_rank). */
DLN_API int dln_ensemble_results(const dln_ensemble *ensemble, int field, double *values,
                                 int64_t capacity);
/* A copy of member i as an ordinary handle (its seed, step count, logs).
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_OUT_OF_RANGE, DLN_ERR_NOMEM. */
DLN_API int dln_ensemble_member(const dln_ensemble *ensemble, int64_t member, dln_model **out);

/* ------------------------------------------------------------------------
 * Statistics of ensembles, without a handle: a failure is explained in
 * message ("function: detail", NUL-terminated, truncated to capacity; may be
 * NULL; "" on success), as for dln_create_ex. z is the two-sided standard
 * normal critical value of the intervals: DLN_Z_95 for 95 %.
 * ------------------------------------------------------------------------ */
#define DLN_Z_95 1.959963984540054
/* Wilson score interval of a binomial proportion from `successes` of
 * `trials` (>= 1): the p with |k/n − p| <= z sqrt(p(1−p)/n); exactly 0
 * (1) at its ends for k = 0 (k = n). DLN_OK, DLN_ERR_NULL_POINTER,
 * DLN_ERR_INVALID_ARGUMENT (trials < 1, successes outside [0, trials],
 * z <= 0), DLN_ERR_NOT_FINITE (z). */
DLN_API int dln_wilson_interval(int64_t successes, int64_t trials, double z, double *lower,
                                double *upper, char *message, int64_t capacity);

/* Rows of the Kaplan–Meier estimate, one per distinct observed time. */
enum dln_km_field {
  DLN_KM_TIME = 0,      /* t_j, increasing                                       */
  DLN_KM_AT_RISK = 1,   /* n_j: observations with time >= t_j                      */
  DLN_KM_EVENTS = 2,    /* d_j: events at t_j                                      */
  DLN_KM_CENSORED = 3,  /* censored at t_j (at risk at t_j, gone after it)         */
  DLN_KM_SURVIVAL = 4,  /* Ŝ(t_j) = Π_{i<=j} (1 − d_i/n_i)                          */
  DLN_KM_STD_ERROR = 5, /* Greenwood: Ŝ (Σ_{i<=j} d_i/(n_i(n_i−d_i)))^(1/2); NaN   */
                        /* once Ŝ = 0                                              */
  DLN_KM_LOWER = 6,     /* pointwise interval on the log(−log) scale:             */
  DLN_KM_UPPER = 7,     /* Ŝ^exp(±z se/(Ŝ |log Ŝ|)); [1, 1] while Ŝ = 1, [0, 0] at 0 */
  DLN_KM_RECORD_SIZE = 8
};
/* Kaplan–Meier estimate of S(t) = P(T > t) from n >= 1 right-censored times
 * (finite, >= 0; censored[i] = 1 if time i is a censoring, 0 if an event;
 * at a tie, events come before censorings). *count is set to the number of
 * rows; the first min(count, capacity) are written to rows, each
 * DLN_KM_RECORD_SIZE doubles (rows may be NULL when capacity is 0).
 * DLN_OK, DLN_ERR_NULL_POINTER, DLN_ERR_INVALID_ARGUMENT (n, a censored
 * flag, z <= 0, capacity < 0, a negative time), DLN_ERR_NOT_FINITE, DLN_ERR_NOMEM. */
DLN_API int dln_kaplan_meier(int64_t n, const double *times, const int *censored, double z,
                             double *rows, int64_t capacity, int64_t *count, char *message,
                             int64_t message_capacity);
/* Median of the Kaplan–Meier estimate, the first t_j with Ŝ(t_j) <= 1/2,
 * and its interval (Brookmeyer–Crowley, with the pointwise log(−log)
 * interval above): [first t_j with LOWER <= 1/2, first t_j with UPPER <=
 * 1/2], the times whose pointwise interval contains 1/2 (as R's survfit
 * with conf.type = "log-log"; R reports the midpoint where Ŝ = 1/2 exactly
 * on an interval, this the interval's start). "<= 1/2" allows 1e-12 for
 * rounding. Each is +inf when not reached by the last time. Statuses as
 * dln_kaplan_meier. */
DLN_API int dln_kaplan_meier_median(int64_t n, const double *times, const int *censored,
                                    double z, double *median, double *lower, double *upper,
                                    char *message, int64_t message_capacity);

#ifdef __cplusplus
}
#endif
#endif /* DLNSGD_H */
