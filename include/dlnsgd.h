/*
 * dlnsgd.h — SGD with L2 regularisation (weight decay) on deep linear
 * networks A = W_L ⋯ W_1, for matrix completion, behind a stable plain-C ABI.
 *
 * The mathematics is SPEC.md (sections cited as §n). This header is strict
 * C99 and includes only <stdint.h> and <stddef.h>.
 *
 * Conventions
 *   - Every function that can fail returns an int status: DLN_OK (0) or a
 *     negative DLN_ERR_* value whose number never changes. On error the handle
 *     is left exactly as it was and dln_last_error(model) names the offending
 *     argument and its value.
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
 *   are safe from any thread at any time.
 *
 * Reproducibility (§4)
 *   Sampling and random initialisation are pure functions of (seed, step)
 *   (Philox, Random123): a run is bit-for-bit reproducible from (problem,
 *   initial weights, seed) on the same build, whatever the split of steps
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

/* Static description of a status, never NULL ("unknown status" if unknown). */
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
  X(DLN_PARAM_JUMP_RTOL, 7, "rtol of the numerical rank logged with jumps")   \
  X(DLN_PARAM_RANK_ATOL, 8, "atol of the numerical ranks of this handle")

#define DLN_PARAM_ENUM_ENTRY_(name, value, text) name = value,
enum dln_param { DLN_PARAM_TABLE(DLN_PARAM_ENUM_ENTRY_) DLN_PARAM_LAST_ = 8 };
#undef DLN_PARAM_ENUM_ENTRY_

/* Samplers (§4). Full batch ignores the batch size (b = N). */
enum dln_sampler {
  DLN_SAMPLER_WITH_REPLACEMENT = 0,    /* i.i.d. uniform over Ω (default)      */
  DLN_SAMPLER_WITHOUT_REPLACEMENT = 1, /* reshuffled each epoch               */
  DLN_SAMPLER_SUBSET = 2,              /* i.i.d. uniform over dln_set_sample_subset */
  DLN_SAMPLER_FULL_BATCH = 3           /* B_t = Ω: gradient descent            */
};

DLN_API int dln_set_param(dln_model *model, int param, double value);
DLN_API int dln_get_param(const dln_model *model, int param, double *value);
/* Closed range of valid values of a parameter (handle-independent). The
 * learning rate and ridge are further bound jointly by 2*eta*lambda < 1. */
DLN_API int dln_param_bounds(int param, double *min_value, double *max_value);
DLN_API const char *dln_param_name(int param); /* "DLN_PARAM_..." or NULL */

/* ------------------------------------------------------------------------
 * Lifecycle and shape
 * ------------------------------------------------------------------------ */
/* widths: depth+1 values n_0 = m (columns of the target) … n_L = n (rows).
 * Weights start at zero; use dln_init_weights or dln_set_weights. */
DLN_API int dln_create(int64_t depth, const int64_t *widths, uint64_t seed,
                       dln_model **out);
/* dln_create that also explains a failure: "dln_create: <detail>" is written
 * to message (NUL-terminated, truncated to capacity; may be NULL), since
 * there is no handle to hold it. message is set to "" on success. */
DLN_API int dln_create_ex(int64_t depth, const int64_t *widths, uint64_t seed, dln_model **out,
                          char *message, int64_t capacity);
DLN_API void dln_destroy(dln_model *model); /* NULL is a no-op */
/* Deep copy of everything (weights, data, options, schedules, log, step). */
DLN_API int dln_clone(const dln_model *model, dln_model **out);

DLN_API int dln_get_depth(const dln_model *model, int64_t *depth);
/* Writes depth+1 widths; capacity must be >= depth+1. */
DLN_API int dln_get_widths(const dln_model *model, int64_t *widths, int64_t capacity);
DLN_API int dln_get_seed(const dln_model *model, uint64_t *seed);
DLN_API int dln_set_seed(dln_model *model, uint64_t seed);
/* The step counter t: the next step uses eta_t, lambda_t and batch B_t. */
DLN_API int dln_get_step_count(const dln_model *model, int64_t *step);
DLN_API int dln_set_step_count(dln_model *model, int64_t step);

/* ------------------------------------------------------------------------
 * Data (§2). Observations are copied. Duplicates count separately.
 * ------------------------------------------------------------------------ */
DLN_API int dln_set_observations(dln_model *model, int64_t count, const int64_t *rows,
                                 const int64_t *cols, const double *values);
DLN_API int dln_get_observation_count(const dln_model *model, int64_t *count);
/* Held-out set for dln_test_error; count 0 clears it. */
DLN_API int dln_set_test_observations(dln_model *model, int64_t count, const int64_t *rows,
                                      const int64_t *cols, const double *values);
/* Full ground-truth n × m matrix for dln_test_error (NULL clears it). Takes
 * precedence over the held-out set when both are given. */
DLN_API int dln_set_ground_truth(dln_model *model, const double *truth);
/* Pool of observation indices for DLN_SAMPLER_SUBSET; count 0 clears it. */
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
/* eta_t or lambda_t at step t >= 0 (param is LEARNING_RATE or RIDGE). */
DLN_API int dln_schedule_value(const dln_model *model, int param, int64_t step,
                               double *value);

/* ------------------------------------------------------------------------
 * Weights and initialisation (§4)
 * ------------------------------------------------------------------------ */
/* layer is 1..L; w is row-major n_ℓ × n_{ℓ-1}. */
DLN_API int dln_set_weights(dln_model *model, int64_t layer, const double *w);
DLN_API int dln_get_weights(const dln_model *model, int64_t layer, double *w);

enum dln_init_kind {
  DLN_INIT_GAUSSIAN = 0,    /* args: 1 std for all layers, or L stds (one per layer) */
  DLN_INIT_END_TO_END = 1,  /* args {s}: W_ℓ ~ N(0, s^(2/L) / n_{ℓ-1})              */
  DLN_INIT_ORTHOGONAL = 2,  /* args {scale}: scale × (semi-)orthogonal Haar factor   */
  DLN_INIT_IDENTITY = 3     /* args {scale}: scale × rectangular identity            */
};
/* Random draws use the handle's seed on a stream separate from sampling. */
DLN_API int dln_init_weights(dln_model *model, int kind, int64_t nargs, const double *args);
/* Balanced factorisation of a row-major n × m matrix A0 = U S V^T (§4):
 * W_L = U S^(1/L), inner layers S^(1/L), W_1 = S^(1/L) V^T, zero-padded. */
DLN_API int dln_init_balanced(dln_model *model, const double *a0);

/* ------------------------------------------------------------------------
 * Stepping (§3)
 * ------------------------------------------------------------------------ */
/* `steps` sampled steps. On DLN_ERR_DIVERGED the state is that before the
 * failing step and the message gives its step number. */
DLN_API int dln_step(dln_model *model, int64_t steps);
/* One step on an explicit batch (indices into Ω, repeats allowed). */
DLN_API int dln_step_batch(dln_model *model, int64_t b, const int64_t *observation_indices);

/* Formulations of the step (§8), chosen per step by a cost model from the
 * batch size b, its numbers of distinct columns p and rows q, and the widths;
 * never by the caller. X(name, id, description). */
#define DLN_FORMULATION_TABLE(X)                                                     \
  X(DLN_FORMULATION_NONE, 0, "no step attempted since the handle was made")          \
  X(DLN_FORMULATION_SINGLE_ENTRY, 1, "b = 1: one rank-one chain, fused kernel")       \
  X(DLN_FORMULATION_CHAINS, 2, "b rank-one chains: products with b columns")         \
  X(DLN_FORMULATION_ROWS_COLS, 3, "p distinct columns, q rows: products with p, q") \
  X(DLN_FORMULATION_FUSED_BATCH, 4, "b rank-one chains in fused loops, no BLIS")

#define DLN_FORMULATION_ENUM_ENTRY_(name, value, text) name = value,
enum dln_formulation { DLN_FORMULATION_TABLE(DLN_FORMULATION_ENUM_ENTRY_) DLN_FORMULATION_LAST_ = 4 };
#undef DLN_FORMULATION_ENUM_ENTRY_

/* The formulation of the last step attempted on this handle (also one that
 * diverged); DLN_FORMULATION_NONE before the first step of a created or
 * loaded handle, that of its original for a clone. Returns DLN_OK or DLN_ERR_NULL_POINTER. */
DLN_API int dln_last_step_formulation(const dln_model *model, int *formulation);
/* "DLN_FORMULATION_..." or NULL if unknown. */
DLN_API const char *dln_formulation_name(int formulation);

/* ------------------------------------------------------------------------
 * Observables (§5). Ranks of a spectrum σ_1 >= σ_2 >= …
 * ------------------------------------------------------------------------ */
/* data_cost = C(A_θ); ridge_term = lambda_t ‖θ‖² at the current step t. */
DLN_API int dln_loss(const dln_model *model, double *data_cost, double *ridge_term);
/* ‖θ‖² = Σ_ℓ ‖W_ℓ‖_F². */
DLN_API int dln_weight_norm2(const dln_model *model, double *norm2);
/* MSE on the ground truth if set, else on the held-out set; DLN_ERR_STATE if neither. */
DLN_API int dln_test_error(const dln_model *model, double *error);

/* Singular values of A_θ, descending, from the factored form (thin QRs of
 * W_1^T and W_L, then the SVD of the small core), never forming A_θ. There
 * are k = min_ℓ n_ℓ of them; *count is set to k and the largest
 * min(k, capacity) are written. */
DLN_API int dln_singular_values(const dln_model *model, double *out, int64_t capacity,
                                int64_t *count);
/* Singular values of W_ℓ (min(n_ℓ, n_{ℓ-1}) of them), same conventions. */
DLN_API int dln_layer_singular_values(const dln_model *model, int64_t layer, double *out,
                                      int64_t capacity, int64_t *count);
/* Singular values of M_k = [W_k, W_{k+1}^T], hidden layer k in 1..L-1
 * (n_k of them); for depth 1, k = 1 gives those of W_1. */
DLN_API int dln_bottleneck_singular_values(const dln_model *model, int64_t k, double *out,
                                           int64_t capacity, int64_t *count);

/* Numerical rank of A_θ: #{σ_i > rtol·σ_1}, rtol in [0, 1). */
DLN_API int dln_query_rank(const dln_model *model, double rtol, int64_t *rank);

enum dln_rank_measure {
  DLN_RANK_NUMERICAL = 0, /* #{σ_i > max(atol, rtol·σ_1)}                  */
  DLN_RANK_EFFECTIVE = 1, /* exp(H(p)), p_i = σ_i/Σσ (Roy & Vetterli); 0 if σ = 0 */
  DLN_RANK_STABLE = 2     /* Σσ_i²/σ_1²; 0 if σ = 0                          */
};
/* A rank measure of a spectrum given by the caller (any order, >= 0). */
DLN_API int dln_rank_of_spectrum(const double *sigma, int64_t count, int measure,
                                 double atol, double rtol, double *rank);
/* target: 0 = A_θ, ℓ = 1..L = W_ℓ. */
DLN_API int dln_rank(const dln_model *model, int64_t target, int measure, double atol,
                     double rtol, double *rank);
/* Numerical ranks of M_k for k = 1..L-1 into ranks[0..L-2] (capacity >= L-1;
 * for depth 1, one value: the rank of W_1). */
DLN_API int dln_bottleneck_ranks(const dln_model *model, double atol, double rtol,
                                 int64_t *ranks, int64_t capacity);
/* max_ℓ ‖W_{ℓ+1}^T W_{ℓ+1} − W_ℓ W_ℓ^T‖_2 (0 for depth 1). */
DLN_API int dln_balancedness(const dln_model *model, double *residual);
/* L Σ_i σ_i(A_θ)^(2/L). */
DLN_API int dln_representation_cost(const dln_model *model, double *cost);
/* Euclidean norms of the n_{L-1} columns of W_L / the n_1 rows of W_1. */
DLN_API int dln_output_column_norms(const dln_model *model, double *out, int64_t capacity);
DLN_API int dln_input_row_norms(const dln_model *model, double *out, int64_t capacity);

/* ------------------------------------------------------------------------
 * Absorbing sets B_r (§6)
 * ------------------------------------------------------------------------ */
/* A negative threshold means "use the default of §6". */
DLN_API int dln_in_Br(const dln_model *model, int64_t r, double eps, double delta,
                      double C, int *inside);
/* Smallest r >= 0 with θ ∈ B_r at the default thresholds. */
DLN_API int dln_query_absorbed_rank(const dln_model *model, int64_t *rank);

/* Fields of the report: each measured quantity next to its threshold. */
enum dln_br_field {
  DLN_BR_NORM2 = 0,       /* ‖θ‖²                                   */
  DLN_BR_C = 1,           /* bound C it is compared with            */
  DLN_BR_SIGMA = 2,       /* max_k σ_{r+1}(M_k)                     */
  DLN_BR_EPS = 3,         /* ε                                      */
  DLN_BR_BALANCE = 4,     /* balancedness residual                  */
  DLN_BR_DELTA = 5,       /* δ (+inf by default)                    */
  DLN_BR_RHO = 6,         /* ρ of §6 (NaN without observations)     */
  DLN_BR_INSIDE = 7,      /* 1.0 if θ ∈ B_r else 0.0                */
  DLN_BR_REPORT_SIZE = 8
};
/* report: DLN_BR_REPORT_SIZE doubles indexed by enum dln_br_field. */
DLN_API int dln_Br_report(const dln_model *model, int64_t r, double eps, double delta,
                          double C, double *report);

/* ------------------------------------------------------------------------
 * Jump log (§6): with DLN_PARAM_JUMP_INTERVAL = k > 0, dln_step checks the
 * absorbed rank and the numerical rank of A_θ (rtol DLN_PARAM_JUMP_RTOL)
 * every k steps and records each decrease. Costs nothing when k = 0.
 * ------------------------------------------------------------------------ */
enum dln_jump_kind { DLN_JUMP_ABSORBED = 1, DLN_JUMP_NUMERICAL = 2 };
enum dln_jump_field {
  DLN_JUMP_STEP = 0,   /* step count t at which the lower rank was observed */
  DLN_JUMP_KIND = 1,   /* a dln_jump_kind                                    */
  DLN_JUMP_BEFORE = 2, /* rank at the previous check                         */
  DLN_JUMP_AFTER = 3,  /* rank now                                           */
  DLN_JUMP_RECORD_SIZE = 4
};
DLN_API int dln_jump_count(const dln_model *model, int64_t *count);
/* Records first..first+count-1, each DLN_JUMP_RECORD_SIZE int64_t. */
DLN_API int dln_get_jumps(const dln_model *model, int64_t first, int64_t count,
                          int64_t *records);
/* Empties the log and forgets the ranks of the last check. */
DLN_API int dln_clear_jumps(dln_model *model);

/* ------------------------------------------------------------------------
 * Checkpoints: the whole state in a versioned binary format with a CRC.
 * ------------------------------------------------------------------------ */
/* Written atomically (temporary file, fsync, rename). */
DLN_API int dln_save(const dln_model *model, const char *path);
/* Creates a new handle from a file; *out is untouched on error. */
DLN_API int dln_load(const char *path, dln_model **out);
/* In memory: *size is set to the bytes needed; written if capacity >= size. */
DLN_API int dln_save_buffer(const dln_model *model, void *buffer, int64_t capacity,
                            int64_t *size);
DLN_API int dln_load_buffer(const void *buffer, int64_t size, dln_model **out);
/* The same, with the failure explained in message (like dln_create_ex). */
DLN_API int dln_load_ex(const char *path, dln_model **out, char *message, int64_t capacity);
DLN_API int dln_load_buffer_ex(const void *buffer, int64_t size, dln_model **out, char *message,
                               int64_t capacity);

#ifdef __cplusplus
}
#endif
#endif /* DLNSGD_H */
