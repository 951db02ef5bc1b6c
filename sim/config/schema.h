#pragma once
/// Each config key described once. A section's keys are a table whose rows give the key, where
/// its value lives, its type and range, its default and its help; the same table reads the
/// section (through MapReader, with its checks and messages), writes it back as the resolved
/// config, and is printed as the section's table of docs/config-reference.md, so parser, emitter
/// and docs cannot drift apart. Rules that span several keys stay in code beside the table.
///
/// Generic: nothing here knows a scenario. The tables live with the sections that use them
/// (sim/scenario/*.cpp).

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/config/reader.h"
#include "sim/config/units.h"
#include "sim/core/time.h"

namespace servesim {

/// An enum's names in configs, looked up by value and never by position, so that reordering an
/// enum cannot swap its names. Reading, writing and the docs use the same table.
template <class E>
class EnumNames {
 public:
  EnumNames(std::initializer_list<std::pair<E, std::string_view>> rows) : rows_(rows) {}
  /// From a table kept elsewhere (a layer below that needs the names too, as the model names a
  /// broker's station): {value, name} pairs.
  template <class Rows>
  explicit EnumNames(const Rows& rows) : rows_(std::begin(rows), std::end(rows)) {}
  std::string_view name(E value) const {
    for (const auto& [v, n] : rows_)
      if (v == value) return n;
    throw std::logic_error("EnumNames: a value without a name");
  }
  E value(std::string_view name) const {
    for (const auto& [v, n] : rows_)
      if (n == name) return v;
    throw std::logic_error("EnumNames: '" + std::string(name) + "' is not a name");
  }
  std::vector<std::string_view> names() const {
    std::vector<std::string_view> out;
    for (const auto& row : rows_) out.push_back(row.second);
    return out;
  }

 private:
  std::vector<std::pair<E, std::string_view>> rows_;
};

/// What a key's value is, as written in a config.
enum class Kind {
  kDuration,  // "40ms", a Time
  kInteger,   // a whole number in [min, max]
  kNumber,    // a plain number in [min, max]
  kQuantity,  // a number with a unit of `dim`, > 0
  kChoice,    // one of an enum's names
  kName,      // a string that names something in outputs (check_name)
  kString,    // free text
  kCustom,    // read and written by the section's own code; the row documents it
};

struct Type {
  Kind kind = Kind::kCustom;
  double min = 0, max = 0;           // kInteger, kNumber
  bool zero_ok = false;              // kDuration: 0 is allowed
  Dimension dim = Dimension::kRate;  // kQuantity
};

inline Type duration_type(bool zero_ok = false) { return {Kind::kDuration, 0, 0, zero_ok}; }
inline Type integer_type(double min, double max) { return {Kind::kInteger, min, max}; }
inline Type number_type(double min, double max) { return {Kind::kNumber, min, max}; }
inline Type quantity_type(Dimension dim) { return {Kind::kQuantity, 0, 0, false, dim}; }
inline Type choice_type() { return {Kind::kChoice}; }
inline Type name_type() { return {Kind::kName}; }
inline Type string_type() { return {Kind::kString}; }
inline Type custom_type() { return {Kind::kCustom}; }

/// A value read from a config, before it is stored: durations and integers as int64, numbers and
/// quantities as double, choices and strings as text. monostate: absent.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// Where a key's value lives in the section struct T: a data member, an enum member read and
/// written through its names, or nowhere (a key that is checked and then dropped, as `source`).
template <class T>
class Member {
 public:
  Member() = default;
  Member(std::int64_t T::*m)
      : get_([m](const T& t) { return Value(t.*m); }),
        set_([m](T& t, const Value& v) { t.*m = std::get<std::int64_t>(v); }) {}
  Member(std::uint64_t T::*m)
      : get_([m](const T& t) { return Value(static_cast<std::int64_t>(t.*m)); }),
        set_([m](T& t, const Value& v) {
          t.*m = static_cast<std::uint64_t>(std::get<std::int64_t>(v));
        }) {}
  Member(int T::*m)
      : get_([m](const T& t) { return Value(static_cast<std::int64_t>(t.*m)); }),
        set_([m](T& t, const Value& v) { t.*m = static_cast<int>(std::get<std::int64_t>(v)); }) {}
  Member(double T::*m)
      : get_([m](const T& t) { return Value(t.*m); }),
        set_([m](T& t, const Value& v) { t.*m = std::get<double>(v); }) {}
  Member(std::string T::*m)
      : get_([m](const T& t) { return Value(t.*m); }),
        set_([m](T& t, const Value& v) { t.*m = std::get<std::string>(v); }) {}
  /// A number one struct down (a CPU's power.idle_w): the key sits in T's map all the same.
  template <class S>
  Member(S T::*outer, double S::*inner)
      : get_([outer, inner](const T& t) { return Value(t.*outer.*inner); }),
        set_([outer, inner](T& t, const Value& v) { t.*outer.*inner = std::get<double>(v); }) {}
  /// A string member that holds one of `choices` (a tensor's dtype).
  Member(std::string T::*m, std::vector<std::string_view> choices) : Member(m) {
    choices_ = std::move(choices);
  }
  /// A value kept in another form than it is written (a fixed count, stored as a mean), or a
  /// choice that sets something else (`format: raw` sets an output's kind).
  Member(std::function<Value(const T&)> get, std::function<void(T&, const Value&)> set,
         std::vector<std::string_view> choices = {})
      : get_(std::move(get)), set_(std::move(set)), choices_(std::move(choices)) {}
  /// An enum (or bool) member, written in configs as one of `names`.
  template <class E>
  Member(E T::*m, const EnumNames<E>& names)
      : get_([m, &names](const T& t) { return Value(std::string(names.name(t.*m))); }),
        set_([m, &names](T& t, const Value& v) { t.*m = names.value(std::get<std::string>(v)); }),
        choices_(names.names()) {}

  bool stored() const { return static_cast<bool>(set_); }
  Value get(const T& t) const { return get_ ? get_(t) : Value(); }
  void set(T& t, const Value& v) const {
    if (set_) set_(t, v);
  }
  const std::vector<std::string_view>& choices() const { return choices_; }

 private:
  std::function<Value(const T&)> get_;
  std::function<void(T&, const Value&)> set_;
  std::vector<std::string_view> choices_;
};

/// When the resolved config writes a key.
enum class Emit {
  kAlways,
  kUnlessDefault,  // only when it differs from the table's default (an unset optional key)
  kNever,          // not part of the resolved config (free text such as `source`)
};

/// One row: one key of a section.
template <class T>
struct Key {
  std::string_view key;
  Type type;
  Member<T> at;
  bool required = false;
  Emit emit = Emit::kAlways;
  std::string_view help;         // the meaning, for the docs
  std::string_view doc_type;     // the docs' type column, when the generated one says too little
  std::string_view doc_default;  // the docs' default column, likewise
};

/// The `source:` row many sections take: free text saying where their numbers come from, read
/// and checked as a string, never written to the resolved config.
template <class T>
Key<T> source_key() {
  return {.key = "source",
          .type = string_type(),
          .emit = Emit::kNever,
          .help = "where the numbers come from"};
}

/// A section's keys, in the order they are read (which is the order the resolved config writes
/// them and the order a "known keys" message lists them).
template <class T>
struct Table {
  Table(std::string_view prefix_, T defaults_, std::vector<Key<T>> keys_)
      : prefix(prefix_), defaults(std::move(defaults_)), keys(std::move(keys_)) {}

  std::string_view prefix;  // put before each key in the docs ("balancer." for cluster.balancer)
  T defaults;               // what an absent key leaves; the docs' default column
  std::vector<Key<T>> keys;

  const Key<T>& row(std::string_view key) const {
    for (const auto& k : keys)
      if (k.key == key) return k;
    throw std::logic_error("no key '" + std::string(key) + "' in the table");
  }
};

// The parts that do not depend on T (schema.cpp).

/// Reads `key` as `type` (a choice among `choices`); requires it when `required`.
Value read_value(MapReader& r, std::string_view key, const Type& type,
                 const std::vector<std::string_view>& choices, bool required);
/// A value as the resolved config writes it ("40ms", "16GB/s", 8, 1.5, "round_robin").
nlohmann::ordered_json value_json(const Value& v, const Type& type);
/// One row of a docs table: | `key` | type | default | meaning |.
std::string doc_row(std::string_view prefix, std::string_view key, const Type& type,
                    const std::vector<std::string_view>& choices, bool required,
                    const Value& fallback, std::string_view doc_type, std::string_view doc_default,
                    std::string_view help);
/// The header of a docs table.
std::string doc_header();
/// Names as the docs' type column lists them: `a` \| `b` (for a row whose type the section writes
/// itself, as a list of names).
std::string choices_text(const std::vector<std::string_view>& choices);

/// Reads one key of `table` as its row says, without storing it (a value the section's own code
/// puts where it belongs); monostate when absent (and not required).
template <class T>
Value read_row(MapReader& r, const Table<T>& table, std::string_view key) {
  const Key<T>& k = table.row(key);
  return read_value(r, k.key, k.type, k.at.choices(), k.required);
}

/// Reads one key of `table` into `out`; false when absent (and not required).
template <class T>
bool read_key(MapReader& r, const Table<T>& table, std::string_view key, T& out) {
  const Value v = read_row(r, table, key);
  if (std::holds_alternative<std::monostate>(v)) return false;
  table.row(key).at.set(out, v);
  return true;
}

/// Reads every key of `table` in order; a kCustom row is handed to `custom` (the section's own
/// code, which reads it as it must).
template <class T>
void read_keys(MapReader& r, const Table<T>& table, T& out,
               const std::function<void(std::string_view key)>& custom = {}) {
  for (const auto& k : table.keys) {
    if (k.type.kind == Kind::kCustom) {
      if (!custom) throw std::logic_error("a custom key without code to read it");
      custom(k.key);
    } else {
      read_key(r, table, k.key, out);
    }
  }
}

/// Writes one key of `table` from `in` into `j`, as its Emit rule says.
template <class T>
void emit_key(nlohmann::ordered_json& j, const Table<T>& table, std::string_view key, const T& in) {
  const Key<T>& k = table.row(key);
  if (k.emit == Emit::kNever || !k.at.stored()) return;
  const Value v = k.at.get(in);
  if (k.emit == Emit::kUnlessDefault && v == k.at.get(table.defaults)) return;
  j[std::string(k.key)] = value_json(v, k.type);
}

/// Writes every key of `table` in order; a kCustom row is handed to `custom`.
template <class T>
void emit_keys(nlohmann::ordered_json& j, const Table<T>& table, const T& in,
               const std::function<void(std::string_view key)>& custom = {}) {
  for (const auto& k : table.keys) {
    if (k.type.kind == Kind::kCustom) {
      if (custom) custom(k.key);
    } else {
      emit_key(j, table, k.key, in);
    }
  }
}

/// The table's rows as markdown, each key after `prefix` (one table may serve two maps, as a
/// PCIe link serves host_link and gpu_link).
template <class T>
std::string doc_rows(const Table<T>& table, std::string_view prefix) {
  std::string out;
  for (const auto& k : table.keys)
    out += doc_row(prefix, k.key, k.type, k.at.choices(), k.required, k.at.get(table.defaults),
                   k.doc_type, k.doc_default, k.help);
  return out;
}

/// The table as markdown, for docs/config-reference.md.
template <class T>
std::string doc_table(const Table<T>& table) {
  return doc_header() + doc_rows(table, table.prefix);
}

}  // namespace servesim
