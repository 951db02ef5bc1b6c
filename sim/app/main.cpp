#include <iostream>

#include "sim/app/cli.h"

int main(int argc, char** argv) { return servesim::run_cli(argc, argv, std::cout, std::cerr); }
