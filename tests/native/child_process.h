// build/bin/pix2pix as a child process of a test, for tests that kill it, wait on its output or run
// several at once (data-parallel ranks).
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "data_test_util.h"

extern char** environ;

namespace p2p_test {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// build/bin/pix2pix as a child process, stdout and stderr into `log`.
struct Child {
  pid_t pid = -1;
  std::string log;
  int status = 0;
  bool done = false;

  // `env`: NAME=VALUE settings over this process's environment (OMP_NUM_THREADS=1 unless given).
  Child(const std::vector<std::string>& args, std::string log_path, std::vector<std::string> env = {})
      : log(std::move(log_path)) {
    // Everything the child needs is made before fork (the test process has threads).
    auto set_here = [&](const std::string& e) {
      for (const std::string& mine : env)
        if (mine.substr(0, mine.find('=') + 1) == e.substr(0, e.find('=') + 1)) return true;
      return false;
    };
    for (std::string e : {"OMP_WAIT_POLICY=passive", "OMP_NUM_THREADS=1"})
      if (!set_here(e)) env.push_back(e);
    for (char** e = environ; *e; e++)
      if (!set_here(*e) && std::string(*e).rfind("P2P_CHECKPOINT", 0) != 0) env.push_back(*e);
    std::vector<std::string> all = args;
    std::vector<char*> argv = {const_cast<char*>(P2P_BIN)}, envp;
    for (std::string& a : all) argv.push_back(a.data());
    for (std::string& e : env) envp.push_back(e.data());
    argv.push_back(nullptr), envp.push_back(nullptr);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid = fork();
    if (pid == 0) {
      dup2(fd, 1), dup2(fd, 2);
      execve(P2P_BIN, argv.data(), envp.data());
      _exit(127);
    }
    close(fd);
  }
  ~Child() {
    if (pid > 0 && !done) kill(pid, SIGKILL), wait();
  }
  bool exited() {
    if (!done && waitpid(pid, &status, WNOHANG) == pid) done = true;
    return done;
  }
  int wait() {
    if (!done) waitpid(pid, &status, 0), done = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void kill9() {
    kill(pid, SIGKILL);
    wait();
  }
  std::string output() const { return read_text(log); }
  // Waits until the output holds `text`; false when the child ended first or after timeout_s.
  bool wait_for(const std::string& text, double timeout_s = 120) {
    const auto t0 = Clock::now();
    while (seconds_since(t0) < timeout_s) {
      if (output().find(text) != std::string::npos) return true;
      if (exited()) return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }
};

}  // namespace p2p_test
