// A small portable generator (SplitMix64 + Box–Muller) for the CLI's synthetic
// problems and data splits, so the same seed gives the same data on every
// platform and standard library (std::normal_distribution does not).
#ifndef DLN_CLI_RNG_HPP
#define DLN_CLI_RNG_HPP

#include <cmath>
#include <cstdint>
#include <numbers>

namespace dlncli {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed ^ 0x6a09e667f3bcc909ULL) {}
  std::uint64_t next_u64() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next_u64() % n; }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0;
    while (u1 <= 0) u1 = uniform();
    double u2 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    has_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  std::uint64_t state_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace dlncli

#endif
