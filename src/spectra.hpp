// Spectra and ranks (math §5).
//
// Overflow: a finite state can have singular values beyond the largest
// double (σ_1(A_θ) can reach Π_ℓ ‖W_ℓ‖ and ‖M_k‖ ~ √n · max|W|), and forming
// products or Gram matrices of weights near 1e308 gives inf and then NaN
// inside LAPACK. So every matrix is scaled by a power of two to max|·| <= 1
// before it is factorised, and a spectrum is kept as mantissas times 2^e.
// Ranks are computed from that form (they need no representable σ); the
// value-returning calls convert, and refuse what does not fit a double.
#pragma once
#include <cstdint>
#include <vector>

struct dln_model;

namespace dln {

// σ_i = values[i] · 2^exponent, values descending and finite.
struct ScaledSpectrum {
  std::vector<double> values;
  int64_t exponent = 0;
  // The σ_i themselves: +inf where one exceeds the largest double, rounded
  // to 0 below the smallest subnormal.
  std::vector<double> unscaled() const;
  bool fits_double() const;  // no σ_i is +inf once unscaled
};

// Singular values of A_θ, descending, k = min_ℓ n_ℓ of them, from the
// factored form: A never exists in memory (memory O((n + m) · width)).
ScaledSpectrum end_to_end_spectrum_scaled(const dln_model &model);
ScaledSpectrum layer_spectrum_scaled(const dln_model &model, int64_t layer);
// Spectrum of M_k = [W_k, W_{k+1}^T] (k = 1 … L-1); for depth 1, of W_1.
ScaledSpectrum bottleneck_spectrum_scaled(const dln_model &model, int64_t k);
// The same, unscaled (+inf for a σ beyond the largest double).
std::vector<double> end_to_end_spectrum(const dln_model &model);
std::vector<double> layer_spectrum(const dln_model &model, int64_t layer);
std::vector<double> bottleneck_spectrum(const dln_model &model, int64_t k);
int64_t hidden_layer_count(const dln_model &model);  // max(L-1, 1)
// max(rows, cols) of the matrix whose spectrum each of the above is, for
// the default tolerance of math §5.
int64_t end_to_end_dimension(const dln_model &model);
int64_t layer_dimension(const dln_model &model, int64_t layer);
int64_t bottleneck_dimension(const dln_model &model, int64_t k);

// rtol when the caller gives no tolerance (atol = rtol = 0), math §5:
// max(rows, cols) · u, u = 2^-53.
double default_rtol(int64_t dimension);
// #{σ_i > max(atol, rtol·σ_1)}; atol = rtol = 0 means rtol = default_rtol(dimension).
int64_t numerical_rank(const ScaledSpectrum &sigma, double atol, double rtol, int64_t dimension);
// The same on plain values; the default uses the number of values as the dimension.
int64_t numerical_rank(const std::vector<double> &sigma, double atol, double rtol);
double rank_measure(const ScaledSpectrum &sigma, int measure, double atol, double rtol,
                    int64_t dimension);
// max_ℓ ‖W_{ℓ+1}^T W_{ℓ+1} − W_ℓ W_ℓ^T‖_2, +inf if it exceeds the largest double.
double balancedness(const dln_model &model);

}  // namespace dln
