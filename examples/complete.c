/* Completes a 30 × 20 rank-2 matrix from 40% of its entries with SGD on a
 * depth-3 linear network, printing the losses and ranks as it goes.
 * Plain C99 against the public header only.
 * Usage: complete [--steps N]   (default 60000) */
#include <dlnsgd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS 30
#define N_COLS 20

static int check(int status, const dln_model *model, const char *what) {
  if (status != DLN_OK) {
    fprintf(stderr, "%s: %s (%s): %s\n", what, dln_status_name(status), dln_status_string(status),
            dln_last_error(model));
    exit(1);
  }
  return status;
}

/* A small deterministic generator for the example's data (not the library's). */
static double uniform(unsigned long long *state) {
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double)(*state >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
  long long steps = 60000;
  for (int a = 1; a + 1 < argc; ++a)
    if (strcmp(argv[a], "--steps") == 0) steps = atoll(argv[a + 1]);

  /* Target: rank 2, A* = u1 v1^T + u2 v2^T. */
  static double truth[N_ROWS * N_COLS];
  unsigned long long state = 42;
  double u[2][N_ROWS], v[2][N_COLS];
  for (int r = 0; r < 2; ++r) {
    for (int i = 0; i < N_ROWS; ++i) u[r][i] = 2.0 * uniform(&state) - 1.0;
    for (int j = 0; j < N_COLS; ++j) v[r][j] = 2.0 * uniform(&state) - 1.0;
  }
  for (int i = 0; i < N_ROWS; ++i)
    for (int j = 0; j < N_COLS; ++j) truth[i * N_COLS + j] = u[0][i] * v[0][j] + 0.5 * u[1][i] * v[1][j];

  /* Observe about 40% of the entries. */
  static int64_t rows[N_ROWS * N_COLS], cols[N_ROWS * N_COLS];
  static double values[N_ROWS * N_COLS];
  int64_t count = 0;
  for (int i = 0; i < N_ROWS; ++i)
    for (int j = 0; j < N_COLS; ++j)
      if (uniform(&state) < 0.4) {
        rows[count] = i;
        cols[count] = j;
        values[count] = truth[i * N_COLS + j];
        ++count;
      }

  const int64_t widths[4] = {N_COLS, 16, 16, N_ROWS}; /* m, hidden, hidden, n */
  dln_model *model = NULL;
  check(dln_create(3, widths, 7, &model), NULL, "dln_create");
  check(dln_set_observations(model, count, rows, cols, values), model, "dln_set_observations");
  check(dln_set_ground_truth(model, truth), model, "dln_set_ground_truth");
  double scale = 0.5;
  check(dln_init_weights(model, DLN_INIT_END_TO_END, 1, &scale), model, "dln_init_weights");
  check(dln_set_param(model, DLN_PARAM_LEARNING_RATE, 0.05), model, "learning rate");
  check(dln_set_param(model, DLN_PARAM_RIDGE, 1e-3), model, "ridge");
  check(dln_set_param(model, DLN_PARAM_BATCH_SIZE, 4), model, "batch size");

  printf("dlnsgd %s: %lld observed entries of a %d x %d rank-2 matrix, depth 3, widths 16\n",
         dln_version_string(), (long long)count, N_ROWS, N_COLS);
  printf("%8s %12s %12s %12s %6s %9s\n", "step", "train MSE", "test MSE", "ridge", "rank", "absorbed");
  const long long reports = 10;
  for (long long k = 0; k <= reports; ++k) {
    if (k > 0) check(dln_step(model, steps / reports), model, "dln_step");
    double cost, ridge, test;
    int64_t rank, absorbed, t;
    check(dln_loss(model, &cost, &ridge), model, "dln_loss");
    check(dln_test_error(model, &test), model, "dln_test_error");
    check(dln_query_rank(model, 1e-3, &rank), model, "dln_query_rank");
    check(dln_query_absorbed_rank(model, &absorbed), model, "dln_query_absorbed_rank");
    check(dln_get_step_count(model, &t), model, "dln_get_step_count");
    printf("%8lld %12.3e %12.3e %12.3e %6lld %9lld\n", (long long)t, cost, test, ridge, (long long)rank,
           (long long)absorbed);
  }
  double sigma[16];
  int64_t k = 0;
  check(dln_singular_values(model, sigma, 16, &k), model, "dln_singular_values");
  printf("singular values of A:");
  for (int64_t i = 0; i < (k < 5 ? k : 5); ++i) printf(" %.4g", sigma[i]);
  printf("\n");
  dln_destroy(model);
  return 0;
}
