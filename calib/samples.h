#pragma once
/// Timed samples of kernels as calib reads and writes them: the CSV every benchmark (calib's own,
/// a GPU machine's, a user's script) writes and `calib fit` reads.

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace servesim::calib {

/// One timed call of a kernel: what it was given and how long it took. batch, pixels and bytes
/// are totals over the batch, as a curve is evaluated (CurveArgs).
struct Sample {
  std::string kernel;
  double batch = 1;
  double pixels = 0;
  double bytes = 0;
  double seconds = 0;
  // Optional descriptors; 0 means not recorded (an empty cell).
  int width = 0;
  int height = 0;
  int quality = 0;
  int threads = 0;
  int line = 0;  // the CSV line it was read from (0 when made in memory)
};

/// The required columns, in the order the writer puts them, then the optional ones.
inline constexpr std::string_view kRequiredColumns[] = {"kernel", "batch", "pixels", "bytes",
                                                        "seconds"};
inline constexpr std::string_view kOptionalColumns[] = {"width", "height", "quality", "threads"};

/// Parses samples CSV text; `source` names it in errors. The header names the columns (any order;
/// the five required ones once each, optional ones at most once, nothing else). Blank lines and
/// lines starting with '#' are skipped. Every mistake is a ConfigError at source:line:col.
std::vector<Sample> parse_samples(std::string_view text, const std::string& source);
/// Reads and parses a samples file.
std::vector<Sample> read_samples(const std::filesystem::path& path);

/// The CSV text of `samples`: the required columns, then each optional column that at least one
/// sample records (empty cells where a sample does not). Numbers read back exactly.
std::string samples_csv(std::span<const Sample> samples);

/// The median of a set of times (the mean of the middle two when their number is even); 0 for none.
double median(std::vector<double> v);

/// The distinct kernel names, in order of first appearance.
std::vector<std::string> kernel_names(std::span<const Sample> samples);

}  // namespace servesim::calib
