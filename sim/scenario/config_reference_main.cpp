// config_reference: writes docs/config-reference.md from docs/config-reference.md.in and the key
// tables the parser reads with (sim/scenario/reference.h). A tool of the build, not of servesim:
//   config_reference TEMPLATE [OUT]   (no OUT: standard output)

#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>

#include "sim/scenario/reference.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: config_reference TEMPLATE [OUT]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "config_reference: cannot read " << argv[1] << "\n";
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  try {
    const std::string doc = servesim::config_reference(text.str());
    if (argc == 2) {
      std::cout << doc;
      return 0;
    }
    std::ofstream out(argv[2], std::ios::binary);
    out << doc;
    if (!out.flush()) {
      std::cerr << "config_reference: cannot write " << argv[2] << "\n";
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "config_reference: " << argv[1] << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}
