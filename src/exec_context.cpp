#include "exec_context.hpp"

#include "model.hpp"

namespace dln {

void ExecContext::set_threads(int64_t threads) {
  if (threads == threads_) return;
  runtimes_ = GemmRuntimes(threads);
  threads_ = threads;
  drop_team();
}

HelperTeam &ExecContext::team() const {
  if (team_ && !team_->in_this_process()) drop_team();
  if (!team_) team_ = std::make_unique<HelperTeam>(threads_ - 1);
  return *team_;
}

void ExecContext::drop_team() const {
  if (team_ && !team_->in_this_process()) {
    (void)team_.release();  // a forked child: the object stays, its threads were never here
    return;
  }
  team_.reset();
}

namespace {

void run_gemm(rntm_t *runtime, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
              const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta,
              double *c, int64_t rsc, int64_t csc) {
  bli_dgemm_ex(transpose_a ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, transpose_b ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
               dim_t(m), dim_t(n), dim_t(k), &alpha, const_cast<double *>(a), inc_t(rsa), inc_t(csa),
               const_cast<double *>(b), inc_t(rsb), inc_t(csb), &beta, c, inc_t(rsc), inc_t(csc), nullptr, runtime);
}

}  // namespace

void ExecContext::gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha,
                       const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb,
                       double beta, double *c, int64_t rsc, int64_t csc) const {
  const GemmShape shape =
      gemm_shape(transpose_a, transpose_b, double(m), double(n), double(k), rsa, csa, rsb, csb, csc);
  run_gemm(runtimes_.for_shape(shape), transpose_a, transpose_b, m, n, k, alpha, a, rsa, csa, b, rsb, csb, beta, c,
           rsc, csc);
}

void ExecContext::gemm_part(const GemmShape &whole, bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                            int64_t k, double alpha, const double *a, int64_t rsa, int64_t csa, const double *b,
                            int64_t rsb, int64_t csb, double beta, double *c, int64_t rsc, int64_t csc) const {
  run_gemm(runtimes_.serial_for_shape(whole), transpose_a, transpose_b, m, n, k, alpha, a, rsa, csa, b, rsb, csb,
           beta, c, rsc, csc);
}

void ExecContext::gemv(int64_t m, int64_t n, double alpha, const double *a, int64_t rsa, int64_t csa,
                       const double *x, double beta, double *y) const {
  bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, dim_t(m), dim_t(n), &alpha, const_cast<double *>(a), inc_t(rsa),
               inc_t(csa), const_cast<double *>(x), 1, &beta, y, 1, nullptr, runtimes_.all_threads());
}

void ExecContext::ger(int64_t m, int64_t n, double alpha, const double *x, const double *y, double *a, int64_t rsa,
                      int64_t csa) const {
  bli_dger_ex(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, dim_t(m), dim_t(n), &alpha, const_cast<double *>(x), 1,
              const_cast<double *>(y), 1, a, inc_t(rsa), inc_t(csa), nullptr, runtimes_.all_threads());
}

const ExecContext &exec(const dln_model &model) {
  model.exec.set_threads(model.options.threads);
  return model.exec;
}

}  // namespace dln
