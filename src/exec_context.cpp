#include "exec_context.hpp"

#include "model.hpp"

namespace dln {

void ExecContext::set_threads(int64_t threads) {
  if (threads == threads_) return;
  for (int parallel = 0; parallel < 2; ++parallel)
    for (int packed = 0; packed < 2; ++packed) {
      rntm_t fresh = BLIS_RNTM_INITIALIZER;
      bli_rntm_set_num_threads(parallel ? dim_t(threads) : 1, &fresh);
      if (packed) bli_rntm_disable_l3_sup(&fresh);
      runtimes_[parallel][packed] = fresh;
    }
  threads_ = threads;
}

void ExecContext::gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
                       const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb,
                       double beta, double *c, int64_t rsc, int64_t csc) const {
  bli_dgemm_ex(transpose_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, transpose_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
               dim_t(m), dim_t(n), dim_t(k), &alpha, const_cast<double *>(a), inc_t(rsa), inc_t(csa),
               const_cast<double *>(b), inc_t(rsb), inc_t(csb), &beta, c, inc_t(rsc), inc_t(csc), nullptr,
               runtime_for(gemm_shape(transpose_a, transpose_b, double(m), double(n), double(k), rsa, csa, rsb, csb, csc)));
}

rntm_t *ExecContext::runtime_for(const GemmShape &s) const {
  return const_cast<rntm_t *>(&runtimes_[gemm_runs_parallel(s.m, s.n, s.k)][gemm_prefers_packed(s)]);
}

void ExecContext::gemv(int64_t m, int64_t n, double alpha, const double *a, int64_t rsa, int64_t csa,
                       const double *x, double beta, double *y) const {
  bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, dim_t(m), dim_t(n), &alpha, const_cast<double *>(a), inc_t(rsa),
               inc_t(csa), const_cast<double *>(x), 1, &beta, y, 1, nullptr, runtime());
}

void ExecContext::ger(int64_t m, int64_t n, double alpha, const double *x, const double *y, double *a, int64_t rsa,
                      int64_t csa) const {
  bli_dger_ex(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, dim_t(m), dim_t(n), &alpha, const_cast<double *>(x), 1,
              const_cast<double *>(y), 1, a, inc_t(rsa), inc_t(csa), nullptr, runtime());
}

const ExecContext &exec(const dln_model &model) {
  model.exec.set_threads(model.options.threads);
  return model.exec;
}

}  // namespace dln
