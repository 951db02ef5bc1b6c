#pragma once
/// The errors a user gets for bad input, and servesim's exit statuses: a ConfigError says where
/// (file:line:col), which key, and what to do; every reader and verb shares them.

#include <stdexcept>
#include <string>

namespace servesim {

/// servesim's exit statuses: 0 success, 1 runtime failure, 2 config or usage error, 3 a check
/// that ran and failed (`compare --tolerance`: a metric outside it).
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitOutside = 3;

/// A position in a config source: a file, the built-in default, or a --set argument. 1-based.
struct SourceMark {
  std::string file;
  int line = 0;
  int col = 0;
  std::string str() const { return file + ":" + std::to_string(line) + ":" + std::to_string(col); }
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceMark mark, std::string key, std::string message)
      : std::runtime_error(format(mark, key, message)),
        mark_(std::move(mark)),
        key_(std::move(key)),
        message_(std::move(message)) {}

  const SourceMark& mark() const { return mark_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  static std::string format(const SourceMark& m, const std::string& key, const std::string& msg) {
    std::string s = m.str() + ": error: ";
    if (!key.empty()) s += "'" + key + "': ";
    return s + msg;
  }
  SourceMark mark_;
  std::string key_, message_;
};

}  // namespace servesim
