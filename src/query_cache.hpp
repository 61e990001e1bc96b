// The spectral results of a state, computed once per state (issue 11, item
// 4): the const C entry points (singular values, ranks, B_r membership and
// reports, balancedness) ask here, so repeated queries of an unchanged state
// reuse the factorisations. Every non-const entry point bumps the handle's
// state version (errors.hpp), which retires them. Code that runs inside a
// mutating call (the rank checks and the trace of dln_step) must not use
// these: the state moves under it.
#pragma once
#include <vector>

#include "spectra.hpp"

struct dln_model;

namespace dln {

const ScaledSpectrum &cached_end_to_end_spectrum_scaled(const dln_model &model);
// σ(M_k) for k = 1 … hidden_layer_count, accurate path.
const std::vector<ScaledSpectrum> &cached_bottleneck_spectra_scaled(const dln_model &model);
// The same unscaled (+inf where a σ exceeds the largest double).
const std::vector<std::vector<double>> &cached_bottleneck_spectra(const dln_model &model);
double cached_balancedness(const dln_model &model);

}  // namespace dln
