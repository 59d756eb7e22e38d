// Command-line options as one table per command: name, value hint, help and target, from which the
// parser, the help text and the Lua reference's environment-variable names (DATA_ROOT=... name=...) all come.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "shared/status.h"

namespace p2p {

class Options {
 public:
  Options(std::string command, std::string summary) : command_(std::move(command)), summary_(std::move(summary)) {}

  // --name VALUE. env: extra environment names read by parse_env (the Lua reference's spellings).
  Options& text(const char* name, std::string* target, const char* hint, const char* help, std::vector<std::string> env = {});
  Options& integer(const char* name, int* target, const char* help, std::vector<std::string> env = {});
  Options& real(const char* name, float* target, const char* help, std::vector<std::string> env = {});
  // Repeatable: each --name VALUE appends, and VALUE may itself be a comma-separated list.
  Options& list(const char* name, std::vector<std::string>* target, const char* hint, const char* help);
  // --name sets true; --no_name sets false.
  Options& flag(const char* name, bool* target, const char* help, std::vector<std::string> env = {});
  // One of a fixed set of words.
  Options& choice(const char* name, std::string* target, std::vector<std::string> choices, const char* help,
                  std::vector<std::string> env = {});

  // Parses args; positional arguments go to *positional (refused when null). "--help" sets help_requested().
  Status parse(const std::vector<std::string>& args, std::vector<std::string>* positional = nullptr);
  // Reads each option from the environment under its own name or its env spellings (before parse, so flags win).
  Status parse_env();

  bool help_requested() const { return help_; }
  bool given(const char* name) const;  // set on the command line or the environment
  std::string help() const;
  const std::string& command() const { return command_; }

 private:
  struct Entry {
    std::string name, hint, help;
    std::vector<std::string> env;
    std::vector<std::string> choices;
    bool is_flag = false;
    bool given = false;
    std::function<Status(const std::string&)> set;
    std::string default_text;
  };
  Entry& add(const char* name, const char* hint, const char* help, std::vector<std::string> env);
  Status set(Entry& e, const std::string& value, const std::string& origin);
  std::string command_, summary_;
  std::vector<Entry> entries_;
  bool help_ = false;
};

// Prints "pix2pix <command>: <why>" to stderr and returns the exit code for bad input (2) or failure (1).
int fail(const std::string& command, const std::string& why, int code = 1);

}  // namespace p2p
