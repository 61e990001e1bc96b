/* Made once with dlnsgd 0.1.0 (checkpoint format v1) to pin that later
 * versions still load it: writes v1_depth3.dln and, after 5 more steps of the
 * old library, the weights it reached (v1_depth3_after5.txt). */
#include <stdio.h>
#include <dlnsgd.h>
int main(void) {
  int64_t widths[4] = {4, 3, 3, 5};
  dln_model *m; dln_create(3, widths, 11, &m);
  int64_t rows[20], cols[20]; double vals[20]; int n = 0;
  for (int i = 0; i < 5; ++i) for (int j = 0; j < 4; ++j) if ((i + 2*j) % 3) { rows[n] = i; cols[n] = j; vals[n] = (1.0 + i) * (0.5 - 0.3*j); ++n; }
  dln_set_observations(m, n, rows, cols, vals);
  double sd = 0.6; dln_init_weights(m, DLN_INIT_GAUSSIAN, 1, &sd);
  dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.05); dln_set_param(m, DLN_PARAM_RIDGE, 0.01);
  dln_set_param(m, DLN_PARAM_JUMP_INTERVAL, 2); dln_set_param(m, DLN_PARAM_JUMP_RTOL, 0.2);
  dln_set_param(m, DLN_PARAM_RANK_ATOL, 1e-12);
  if (dln_step(m, 40) != DLN_OK) return 1;
  dln_save(m, "v1_depth3.dln");
  int64_t jumps; dln_jump_count(m, &jumps);
  dln_step(m, 5);
  FILE *f = fopen("v1_depth3_after5.txt", "w");
  fprintf(f, "# dlnsgd 0.1.0: weights after 5 more steps from v1_depth3.dln (saved at step 40, %lld jumps logged)\n", (long long)jumps);
  for (int l = 1; l <= 3; ++l) { double w[20]; dln_get_weights(m, l, w);
    for (int e = 0; e < widths[l] * widths[l-1]; ++e) fprintf(f, "%.17g\n", w[e]); }
  fclose(f); dln_destroy(m); return 0;
}
