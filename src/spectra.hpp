// Spectra and ranks (SPEC §5).
#pragma once
#include <cstdint>
#include <vector>

struct dln_model;

namespace dln {

// Singular values of A_θ, descending, k = min_ℓ n_ℓ of them, from the
// factored form: A never exists in memory (memory O((n + m) · width)).
std::vector<double> end_to_end_spectrum(const dln_model &model);
std::vector<double> layer_spectrum(const dln_model &model, int64_t layer);
// Spectrum of M_k = [W_k, W_{k+1}^T] (k = 1 … L-1); for depth 1, of W_1.
std::vector<double> bottleneck_spectrum(const dln_model &model, int64_t k);
int64_t hidden_layer_count(const dln_model &model);  // max(L-1, 1)

int64_t numerical_rank(const std::vector<double> &sigma, double atol, double rtol);
double rank_measure(const std::vector<double> &sigma, int measure, double atol, double rtol);
double balancedness(const dln_model &model);

}  // namespace dln
