#pragma once
/// The check of a result document (what `servesim run --json` writes, see report.h) that its
/// readers, `servesim report` and `servesim compare`, pass it through before they read a member.
/// It sits beside the writer so that the two change together.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace servesim {

/// Throws a ConfigError at `file` naming the JSON pointer of the first member a reader uses that
/// is missing or has another type or shape than summary_json gives it, e.g.
/// "'/throughput_ci95': expected an array of 2 finite numbers". Members the writer leaves out on
/// some runs (children, batch_size, gpu_memory) are checked only when present.
void check_result(const nlohmann::ordered_json& result, const std::string& file);

/// The rate of an open workload in a result's config ("120/s", as the writer formats it), per
/// second; nullopt when it is not one.
std::optional<double> result_rate_per_s(const nlohmann::ordered_json& rate);

/// Parses `text` as JSON and checks it as a result; a syntax error is a ConfigError at
/// file:line:col where the parser stopped.
nlohmann::ordered_json parse_result(std::string_view text, const std::string& file);

/// Reads `file` and parses it as parse_result does; an unreadable file is a ConfigError too.
nlohmann::ordered_json read_result(const std::filesystem::path& file);

}  // namespace servesim
