// Tests for shared/file_io: whole-file reads, atomic writes, mkdir -p, errors naming the path.
#include "shared/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace {

std::string temp_dir(const std::string& name) {
  std::string dir = testing::TempDir();
  if (dir.empty() || dir.back() != '/') dir += '/';
  dir += "p2p_file_io_" + name + "_" + std::to_string(long(getpid()));
  return dir;
}

TEST(FileIo, WriteThenReadRoundTrip) {
  std::string dir = temp_dir("rt");
  ASSERT_TRUE(p2p::make_dirs(dir).ok());
  std::string path = dir + "/data.bin";
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 200000; i++) bytes.push_back(uint8_t(i * 7 + 3));
  p2p::Status st = p2p::write_file_atomic(path, bytes.data(), bytes.size());
  ASSERT_TRUE(st.ok()) << st.error;
  auto r = p2p::read_file(path);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, bytes);
  EXPECT_FALSE(p2p::file_exists(path + ".tmp-" + std::to_string(long(getpid()))));

  // Overwriting replaces the content entirely (shorter file, no stale tail).
  ASSERT_TRUE(p2p::write_file_atomic(path, std::string("abc")).ok());
  r = p2p::read_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(r.value.begin(), r.value.end()), "abc");

  // Empty files are fine.
  ASSERT_TRUE(p2p::write_file_atomic(path, nullptr, 0).ok());
  r = p2p::read_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value.empty());
  std::remove(path.c_str());
}

TEST(FileIo, ReadMissingFileNamesPathAndReason) {
  std::string path = temp_dir("missing") + "/nope.bin";
  auto r = p2p::read_file(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind(path + ": ", 0), 0u) << r.error;
  EXPECT_NE(r.error.find("No such file"), std::string::npos) << r.error;
}

TEST(FileIo, ReadDirectoryFails) {
  std::string dir = temp_dir("isdir");
  ASSERT_TRUE(p2p::make_dirs(dir).ok());
  auto r = p2p::read_file(dir);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find(dir), std::string::npos);
}

TEST(FileIo, WriteIntoMissingDirectoryFailsAndLeavesNothing) {
  std::string path = temp_dir("nodir") + "/sub/file.bin";
  p2p::Status st = p2p::write_file_atomic(path, "x", 1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error.rfind(path + ": ", 0), 0u) << st.error;
  EXPECT_FALSE(p2p::file_exists(path));
}

TEST(FileIo, FailedWriteKeepsOldFile) {
  // Renaming over a directory fails: the old content (a directory here) stays and no temp is left.
  std::string dir = temp_dir("keep");
  std::string target = dir + "/target";
  ASSERT_TRUE(p2p::make_dirs(target + "/inner").ok());
  p2p::Status st = p2p::write_file_atomic(target, "new", 3);
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(p2p::file_exists(target + "/inner"));
  EXPECT_FALSE(p2p::file_exists(target + ".tmp-" + std::to_string(long(getpid()))));
}

TEST(FileIo, MakeDirsCreatesNestedAndIsIdempotent) {
  std::string dir = temp_dir("mk") + "/a/b/c/";
  ASSERT_TRUE(p2p::make_dirs(dir).ok());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(p2p::make_dirs(dir).ok());
  EXPECT_TRUE(p2p::file_exists(dir));
}

TEST(FileIo, MakeDirsThroughAFileFails) {
  std::string dir = temp_dir("mkfile");
  ASSERT_TRUE(p2p::make_dirs(dir).ok());
  ASSERT_TRUE(p2p::write_file_atomic(dir + "/f", "x", 1).ok());
  p2p::Status st = p2p::make_dirs(dir + "/f/g");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error.find("not a directory"), std::string::npos) << st.error;
  EXPECT_FALSE(p2p::make_dirs("").ok());
}

}  // namespace
