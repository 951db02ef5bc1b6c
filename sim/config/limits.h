#pragma once
/// The loader's limits on what one scenario may read, in one place (docs/config-reference.md,
/// "Limits"). Each bounds memory, time or stack that hostile or broken input could otherwise
/// take without end; each is far above what any real scenario needs.

#include <cstddef>

namespace servesim {

/// YAML nodes one scenario may expand to, counted across its includes and --set values, an
/// alias counting again each time it is used: a 300-byte alias bomb expands to 43 million. The
/// largest shipped scenario has a few thousand; reaching the limit costs ~25 MB and ~0.1 s
/// (under AddressSanitizer ~90 MB and ~0.6 s, inside the fuzzers' 1 GB and 5 s).
inline constexpr std::size_t kMaxConfigNodes = 100'000;

/// Levels of nesting from the top of a document to its deepest value: a self-referencing alias
/// (`&a [*a]`) nests without end, and every level is a stack frame of the loader.
inline constexpr int kMaxConfigDepth = 64;

/// Files one chain of includes may hold, the scenario file first: each is a stack frame too.
inline constexpr int kMaxIncludeDepth = 32;

/// Files one scenario may load, counting a file each time it is included: a diamond of files
/// each including the next twice loads 2^N times.
inline constexpr int kMaxIncludedFiles = 256;

/// Bytes of YAML one scenario may read, its files together (and the bound on any one file, so
/// a device such as /dev/zero or a huge file is refused, not read to the end).
inline constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;

/// Bytes of a data file a command reads whole: a result JSON (report, compare), a measured or
/// swept CSV (compare, plot), calib's samples and imported measurements. A sweep of the largest
/// grid allowed writes a few hundred MB; /dev/zero or a runaway file is refused, not read.
inline constexpr std::size_t kMaxDataFileBytes = std::size_t{1} << 30;

/// Bytes of an image-size CSV.
inline constexpr std::size_t kMaxCsvBytes = std::size_t{16} << 20;

}  // namespace servesim
