// Catch2 v2 provides main() here, compiled once; test files include <catch2/catch.hpp> only.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
