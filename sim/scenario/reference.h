#pragma once
/// docs/config-reference.md is generated, so that its key tables are the tables the parser reads
/// with: the prose stays hand-written in docs/config-reference.md.in, and each line
/// `@keys NAME@` there becomes the table of section NAME.

#include <string>
#include <string_view>

namespace servesim {

/// The reference: `template_text` with every `@keys NAME@` line replaced by that table. An
/// unknown NAME, or a table that the template never places, is a std::runtime_error (so a new
/// section cannot go undocumented).
std::string config_reference(std::string_view template_text);

}  // namespace servesim
