#pragma once
/// Two small trees over n slots for choosing among many in O(log n) instead of a scan (the load
/// balancer's nodes): which slot holds the least value, lowest index first (MinTree), and the
/// i-th slot that is set, counting from 0 (CountTree, a Fenwick tree over 0/1 flags).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace servesim {

/// The slot with the least value, ties to the lowest index: a complete binary tree of
/// (value, index) pairs whose root is the minimum. set() is O(log n), min_slot() O(1).
class MinTree {
 public:
  explicit MinTree(std::size_t n = 0) { reset(n); }
  void reset(std::size_t n) {
    leaves_ = 1;
    while (leaves_ < std::max<std::size_t>(n, 1)) leaves_ *= 2;
    // Unused leaves hold the largest value, so they never win against a real slot.
    tree_.assign(2 * leaves_, {kEmpty, kEmpty});
    for (std::size_t i = 0; i < n; ++i) tree_[leaves_ + i] = {0, i};
    for (std::size_t p = leaves_ - 1; p >= 1; --p)
      tree_[p] = std::min(tree_[2 * p], tree_[2 * p + 1]);
  }
  void set(std::size_t slot, std::uint64_t value) {
    std::size_t p = leaves_ + slot;
    tree_[p].first = value;
    for (p /= 2; p >= 1; p /= 2) tree_[p] = std::min(tree_[2 * p], tree_[2 * p + 1]);
  }
  std::size_t min_slot() const { return tree_[1].second; }
  std::uint64_t min_value() const { return tree_[1].first; }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  std::size_t leaves_ = 1;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> tree_;
};

/// Flags over n slots (all set at the start): how many are set before a slot, and which is the
/// i-th set one. Each operation is O(log n).
class CountTree {
 public:
  explicit CountTree(std::size_t n = 0) { reset(n); }
  void reset(std::size_t n) {
    flags_.assign(n, 1);
    tree_.assign(n + 1, 0);
    for (std::size_t i = 1; i <= n; ++i) {  // Fenwick tree of all ones, built in O(n)
      tree_[i] += 1;
      if (const std::size_t up = i + (i & (~i + 1)); up <= n) tree_[up] += tree_[i];
    }
    top_ = 1;
    while (top_ * 2 <= n) top_ *= 2;
    set_ = n;
  }
  bool get(std::size_t slot) const { return flags_[slot] != 0; }
  void set(std::size_t slot, bool on) {
    if (get(slot) == on) return;
    flags_[slot] = on ? 1 : 0;
    const std::int64_t d = on ? 1 : -1;
    set_ = static_cast<std::size_t>(static_cast<std::int64_t>(set_) + d);
    for (std::size_t i = slot + 1; i < tree_.size(); i += i & (~i + 1))
      tree_[i] = static_cast<std::uint32_t>(static_cast<std::int64_t>(tree_[i]) + d);
  }
  std::size_t count() const { return set_; }
  /// How many slots before `slot` are set.
  std::size_t before(std::size_t slot) const {
    std::size_t c = 0;
    for (std::size_t i = slot; i > 0; i -= i & (~i + 1)) c += tree_[i];
    return c;
  }
  /// The i-th set slot, from 0; i < count().
  std::size_t nth(std::size_t i) const {
    std::size_t pos = 0;
    for (std::size_t step = top_; step > 0; step /= 2) {
      if (pos + step < tree_.size() && tree_[pos + step] <= i) {
        pos += step;
        i -= tree_[pos];
      }
    }
    return pos;  // the Fenwick tree is 1-based: slot pos (0-based) is the one
  }

 private:
  std::vector<std::uint8_t> flags_;
  std::vector<std::uint32_t> tree_;
  std::size_t top_ = 1, set_ = 0;
};

}  // namespace servesim
