// Where the tests find the reference fixtures. The in-tree set (tests/fixtures/reference, written by
// scripts/reference-oracle.py and committed) is always there: a missing file is a failure. The second,
// independent set ../shared/fixtures/reference beside the checkout is a cross-check: its cases exist only
// where that folder does (nothing is skipped), and then a missing file fails like an in-tree one.
#pragma once
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

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

// The sets on this machine: the in-tree one always, ../shared's where it is.
inline std::vector<FixtureSet> fixture_sets() {
  std::vector<FixtureSet> sets = {FixtureSet::InTree};
  if (dir_exists(fixture_dir(FixtureSet::Shared))) sets.push_back(FixtureSet::Shared);
  return sets;
}

// For INSTANTIATE_TEST_SUITE_P(..., kFixtureSets, FixtureSetName).
inline const auto kFixtureSets = ::testing::ValuesIn(fixture_sets());
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

// A set a test was instantiated for must be there.
#define P2P_REQUIRE_FIXTURE_SET(set)                                                                          \
  do {                                                                                                        \
    if (!p2p_test::dir_exists(p2p_test::fixture_dir(set)))                                                    \
      GTEST_FAIL() << p2p_test::fixture_dir(set) << " is missing";                                             \
  } while (0)
