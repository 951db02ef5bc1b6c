// Names that reach outputs (JSON, CSV, HTML, terminal) must be printable UTF-8: a name that is
// not is refused where the scenario writes it, so no output fails or misleads later.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/config/text.h"
#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::col_of;
using test::config_error;
using test::line_of;
using test::parse;
using test::TempDir;

/// A scenario with every kind of user-chosen name; NAME marks the one a test replaces.
const std::string kNamed =
    "run: {duration: 1s}\n"
    "workload: {mode: open, rate: 10/s, images: [{name: IMAGE, width: 8, height: 8, bytes: 1kB}]}\n"
    "image_sets: {SET: [medium]}\n"
    "node:\n"
    "  cpu: {cores: 2}\n"
    "  gpus: {count: 1, type: GPUTYPE}\n"
    "  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 25GB/s}}\n"
    "curves:\n"
    "  CURVE: {inputs: [batch], form: affine, coef: {a: 1ms, b: 0.1ms}, source: test}\n"
    "models:\n"
    "  MODEL: {input: {width: 8, height: 8}, source: test}\n"
    "pipeline:\n"
    "  - name: STAGE\n"
    "    device: gpu\n"
    "    service: {curve: CURVE}\n"
    "    output: {input_of: MODEL}\n";

/// kNamed with the first `placeholder` (and, for a curve or model, its use) replaced by `name`.
std::string with_name(const std::string& placeholder, const std::string& name) {
  std::string text = kNamed;
  for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder))
    text.replace(at, placeholder.size(), name);
  return text;
}

const std::vector<std::string> kPlaceholders = {"STAGE", "CURVE", "MODEL",
                                                "IMAGE", "SET",   "GPUTYPE"};

TEST_CASE("the scenario with every kind of name is valid with plain names", "[unit]") {
  CHECK_NOTHROW(parse(kNamed));
}

TEST_CASE("printable non-ASCII names are accepted everywhere", "[unit]") {
  for (const auto& p : kPlaceholders)
    for (const std::string name : {"décodage", "推理", "serve_2"}) {
      INFO(p << " = " << name);
      CHECK_NOTHROW(parse(with_name(p, name)));
    }
}

TEST_CASE("a name with a control, DEL, C1 or bidi character is an error at the name", "[unit]") {
  struct BadName {
    std::string yaml;  // as written in the scenario (double-quoted escapes)
    std::string said;  // what the message must name
  };
  const std::vector<BadName> bad = {
      {"\"a\\x01b\"", "U+0001"},   {"\"a\\tb\"", "U+0009"},     {"\"a\\x7fb\"", "U+007F"},
      {"\"a\\x85b\"", "U+0085"},   {"\"a\\u202eb\"", "U+202E"}, {"\"a\\u2066b\"", "U+2066"},
      {"\"a\\u2069b\"", "U+2069"}, {"\"a\\u202ab\"", "U+202A"},
  };
  for (const auto& p : kPlaceholders)
    for (const auto& b : bad) {
      const std::string text = with_name(p, b.yaml);
      INFO(p << " = " << b.yaml);
      const ConfigError e = config_error([&] { parse(text); });
      INFO(e.what());
      CHECK(e.mark().line == line_of(text, b.yaml));
      CHECK(e.mark().col == col_of(text, b.yaml));
      CHECK_THAT(e.message(), Contains(b.said));
    }
}

TEST_CASE("the name error says which key holds the name", "[unit]") {
  const ConfigError stage = config_error([&] { parse(with_name("STAGE", "\"a\\x01\"")); });
  CHECK(stage.key() == "pipeline[0].name");
  const ConfigError gpu = config_error([&] { parse(with_name("GPUTYPE", "\"a\\x01\"")); });
  CHECK(gpu.key() == "node.gpus.type");
  const ConfigError image = config_error([&] { parse(with_name("IMAGE", "\"a\\x01\"")); });
  CHECK(image.key() == "workload.images[0].name");
}

TEST_CASE("bytes that are not UTF-8 are an error wherever they are in the YAML", "[unit]") {
  // Raw bytes: an invalid lead byte, an overlong '/', a UTF-16 surrogate, a truncated sequence.
  for (const std::string bytes : {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe6\x8e"}) {
    for (const auto& p : kPlaceholders) {
      const std::string text = with_name(p, "se" + bytes + "rve");
      const ConfigError e = config_error([&] { parse(text); });
      CHECK(e.mark().line == line_of(text, "se" + bytes));
      CHECK(e.mark().col == col_of(text, "se" + bytes));
      CHECK_THAT(e.message(), Contains("not valid UTF-8"));
    }
    // Free text too: every string of a scenario may end up in some output or message.
    const std::string text = "description: bad" + bytes + "\n" + kNamed;
    const ConfigError e = config_error([&] { parse(text); });
    CHECK(e.mark().line == 1);
    CHECK(e.key() == "description");
    CHECK_THAT(e.message(), Contains("not valid UTF-8"));
  }
}

TEST_CASE("a name in an image-size CSV is checked like any name, at its cell", "[unit]") {
  TempDir dir;
  dir.write("sizes.csv", "width,height,bytes,name\n8,8,100,ok\n8,8,100,a\x1b[31mred\n");
  const std::string text =
      "run: {duration: 1s}\n"
      "workload: {mode: open, rate: 1/s, images: {csv: sizes.csv}}\n"
      "node: {cpu: {cores: 1}}\n"
      "pipeline: [{name: s, device: cpu, service: 1ms}]\n";
  const auto file = dir.write("s.yaml", text);
  const ConfigError e = config_error([&] { parse_scenario(load_config_file(file)); });
  CHECK(e.mark().file == (dir.path() / "sizes.csv").string());
  CHECK(e.mark().line == 3);
  CHECK(e.mark().col == 9);
  CHECK_THAT(e.message(), Contains("U+001B"));
}

TEST_CASE("utf8_problem accepts each sequence length and names the first bad byte", "[unit]") {
  // 1 to 4 bytes, up to the last code point U+10FFFF.
  CHECK(utf8_problem("a\xc3\xa9\xe6\x8e\xa8\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf").empty());
  CHECK(utf8_problem("").empty());
  CHECK_THAT(utf8_problem("ab\x80"), Contains("byte 0x80 at offset 2"));        // lone continuation
  CHECK_THAT(utf8_problem("\xe0\x80\xaf"), Contains("byte 0xE0 at offset 0"));  // overlong
  CHECK_THAT(utf8_problem("\xf4\x90\x80\x80"), Contains("offset 0"));           // past U+10FFFF
  CHECK_THAT(utf8_problem("x\xf0\x9f\x98"), Contains("offset 1"));              // cut short
}

TEST_CASE("name_problem allows printable text and names what it refuses", "[unit]") {
  CHECK(name_problem("vit_base-224").empty());
  CHECK(name_problem("\xf0\x9f\x98\x80 ok").empty());  // an emoji and a space print
  CHECK_THAT(name_problem(""), Contains("empty"));
  CHECK_THAT(name_problem(std::string("a\0b", 3)), Contains("U+0000 at offset 1"));
  CHECK_THAT(name_problem("a\xe2\x80\x8f"
                          "b"),
             Contains("U+200F"));  // right-to-left mark
  CHECK_THAT(name_problem("a\xe2\x80\xa8"
                          "b"),
             Contains("U+2028"));  // line separator
  CHECK_THAT(name_problem("a\xff"
                          "b"),
             Contains("not valid UTF-8"));
}

}  // namespace
}  // namespace servesim
