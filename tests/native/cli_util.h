// Running the pix2pix program from tests: its exit code and what it printed, and a file's text.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace p2p_test {

struct Outcome {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// `env program args` with stdout and stderr captured through files in dir.
inline Outcome run_program(const std::string& program, const std::string& args, const std::string& dir,
                           const std::string& env = "") {
  const std::string cmd = env + (env.empty() ? "" : " ") + program + " " + args + " >'" + dir + "/stdout.txt' 2>'" + dir +
                          "/stderr.txt'";
  const int st = std::system(cmd.c_str());
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir + "/stdout.txt"), slurp(dir + "/stderr.txt")};
}

}  // namespace p2p_test
