// Where the tests find the reference fixtures (../shared/fixtures/reference beside the checkout).
// Tests that need them call P2P_REQUIRE_FIXTURES() and are skipped, saying so, when they are absent.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

namespace p2p_test {

inline std::string fixture_dir() {
  std::string dir = std::string(P2P_SOURCE_DIR) + "/../shared/fixtures/reference";
  struct stat st;
  return stat(dir.c_str(), &st) == 0 ? dir : std::string();
}

}  // namespace p2p_test

#define P2P_REQUIRE_FIXTURES()                                                                 \
  do {                                                                                         \
    if (p2p_test::fixture_dir().empty())                                                       \
      GTEST_SKIP() << "reference fixtures absent (../shared/fixtures/reference): skipped";     \
  } while (0)
