#pragma once
/// Random streams: xoshiro256** generators seeded from (seed, replication, entity, purpose).

#include <cstdint>
#include <string_view>

namespace servesim {

/// 64-bit FNV-1a: stable across compilers and standard libraries (unlike std::hash).
constexpr std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// xoshiro256** (Blackman & Vigna, 2018): fast, 256-bit state, passes BigCrush.
/// Every random number in a run comes from one of these, never from a global generator.
class Rng {
 public:
  /// The stream for one purpose of one entity in one replication, e.g.
  /// (7, 3, "workload", "interarrival"). Different tuples give statistically independent streams.
  static Rng stream(std::uint64_t seed, std::uint64_t replication, std::string_view entity,
                    std::string_view purpose) {
    std::uint64_t mix = seed;
    std::uint64_t key = splitmix64(mix) ^ replication;
    key = splitmix64(key) ^ fnv1a(entity);
    key = splitmix64(key) ^ fnv1a(purpose);
    return Rng(key);
  }

  explicit Rng(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform on the open interval (0, 1): 53 random bits, never 0 or 1, so log() is safe.
  double uniform01() { return (static_cast<double>(next() >> 11) + 0.5) * 0x1.0p-53; }

  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using U128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<U128>(next()) * n) >> 64);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace servesim
