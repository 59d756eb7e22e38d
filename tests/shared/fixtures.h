// Where the tests find the reference fixtures. The in-tree set (tests/fixtures/reference, written by
// scripts/reference-oracle.py and committed) is always there: a missing file is a failure. The second,
// independent set ../shared/fixtures/reference beside the checkout is a cross-check, read when present
// and skipped, saying so, when absent.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

namespace p2p_test {

enum class FixtureSet { InTree, Shared };

inline bool dir_exists(const std::string& dir) {
  struct stat st;
  return stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The in-tree set.
inline std::string fixture_dir() { return std::string(P2P_SOURCE_DIR) + "/tests/fixtures/reference"; }

inline std::string fixture_dir(FixtureSet set) {
  return set == FixtureSet::InTree ? fixture_dir() : std::string(P2P_SOURCE_DIR) + "/../shared/fixtures/reference";
}

inline const char* set_name(FixtureSet set) { return set == FixtureSet::InTree ? "InTree" : "Shared"; }

// For INSTANTIATE_TEST_SUITE_P(..., kFixtureSets, FixtureSetName).
inline const auto kFixtureSets = ::testing::Values(FixtureSet::InTree, FixtureSet::Shared);
struct FixtureSetName {
  std::string operator()(const ::testing::TestParamInfo<FixtureSet>& info) const { return set_name(info.param); }
};

}  // namespace p2p_test

// The in-tree set must be there.
#define P2P_REQUIRE_FIXTURES()                                                                                \
  do {                                                                                                        \
    if (!p2p_test::dir_exists(p2p_test::fixture_dir()))                                                       \
      GTEST_FAIL() << p2p_test::fixture_dir() << " is missing (scripts/reference-oracle.py writes it)";       \
  } while (0)

// A set: the in-tree one must be there; ../shared's is skipped when absent.
#define P2P_REQUIRE_FIXTURE_SET(set)                                                                          \
  do {                                                                                                        \
    if ((set) == p2p_test::FixtureSet::InTree) {                                                              \
      P2P_REQUIRE_FIXTURES();                                                                                 \
    } else if (!p2p_test::dir_exists(p2p_test::fixture_dir(set))) {                                           \
      GTEST_SKIP() << "../shared/fixtures/reference absent: the second reference set is not cross-checked";  \
    }                                                                                                         \
  } while (0)
