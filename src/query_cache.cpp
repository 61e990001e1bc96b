#include "query_cache.hpp"

#include "model.hpp"

namespace dln {
namespace {

QueryCache &current(const dln_model &model) {
  QueryCache &c = model.query_cache;
  if (c.version != model.state_version) {
    c = QueryCache{};
    c.version = model.state_version;
  }
  return c;
}

}  // namespace

const ScaledSpectrum &cached_end_to_end_spectrum_scaled(const dln_model &model) {
  QueryCache &c = current(model);
  if (!c.has_end_to_end) {
    c.end_to_end = end_to_end_spectrum_scaled(model);
    c.has_end_to_end = true;
  }
  return c.end_to_end;
}

const std::vector<ScaledSpectrum> &cached_bottleneck_spectra_scaled(const dln_model &model) {
  QueryCache &c = current(model);
  if (!c.has_bottleneck) {
    std::vector<ScaledSpectrum> spectra;
    for (int64_t k = 1; k <= hidden_layer_count(model); ++k) spectra.push_back(bottleneck_spectrum_scaled(model, k));
    std::vector<std::vector<double>> plain;
    for (const ScaledSpectrum &s : spectra) plain.push_back(s.unscaled());
    c.bottleneck = std::move(spectra);
    c.bottleneck_plain = std::move(plain);
    c.has_bottleneck = true;
  }
  return c.bottleneck;
}

const std::vector<std::vector<double>> &cached_bottleneck_spectra(const dln_model &model) {
  cached_bottleneck_spectra_scaled(model);
  return model.query_cache.bottleneck_plain;
}

double cached_balancedness(const dln_model &model) {
  QueryCache &c = current(model);
  if (!c.has_balance) {
    c.balance = balancedness(model);
    c.has_balance = true;
  }
  return c.balance;
}

}  // namespace dln
