#include "native/options.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace p2p {

Options::Entry& Options::add(const char* name, const char* hint, const char* help, std::vector<std::string> env) {
  Entry e;
  e.name = name, e.hint = hint, e.help = help, e.env = std::move(env);
  entries_.push_back(std::move(e));
  return entries_.back();
}

Options& Options::text(const char* name, std::string* t, const char* hint, const char* help, std::vector<std::string> env) {
  Entry& e = add(name, hint, help, std::move(env));
  e.default_text = *t;
  e.set = [t](const std::string& v) { *t = v; return Status::Ok(); };
  return *this;
}

Options& Options::list(const char* name, std::vector<std::string>* t, const char* hint, const char* help) {
  Entry& e = add(name, hint, help, {});
  e.set = [t](const std::string& v) {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = std::min(v.find(',', start), v.size());
      if (comma == start) return Status::Fail("expects a value or a comma-separated list, got '" + v + "'");
      t->push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
    return Status::Ok();
  };
  return *this;
}

Options& Options::integer(const char* name, int* t, const char* help, std::vector<std::string> env) {
  Entry& e = add(name, "N", help, std::move(env));
  e.default_text = std::to_string(*t);
  e.set = [t](const std::string& v) {
    char* end = nullptr;
    errno = 0;
    long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || x < -(1L << 31) || x >= (1L << 31)) return Status::Fail("expects an integer, got '" + v + "'");
    *t = int(x);
    return Status::Ok();
  };
  return *this;
}

Options& Options::real(const char* name, float* t, const char* help, std::vector<std::string> env) {
  Entry& e = add(name, "X", help, std::move(env));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", *t);
  e.default_text = buf;
  e.set = [t](const std::string& v) {
    char* end = nullptr;
    float x = std::strtof(v.c_str(), &end);
    if (v.empty() || *end || !std::isfinite(x)) return Status::Fail("expects a number, got '" + v + "'");
    *t = x;
    return Status::Ok();
  };
  return *this;
}

Options& Options::flag(const char* name, bool* t, const char* help, std::vector<std::string> env) {
  Entry& e = add(name, "", help, std::move(env));
  e.is_flag = true;
  e.default_text = *t ? "on" : "off";
  e.set = [t](const std::string& v) {
    if (v == "1" || v == "true" || v == "on" || v == "yes") *t = true;
    else if (v == "0" || v == "false" || v == "off" || v == "no") *t = false;
    else return Status::Fail("expects true or false, got '" + v + "'");
    return Status::Ok();
  };
  return *this;
}

Options& Options::choice(const char* name, std::string* t, std::vector<std::string> choices, const char* help,
                         std::vector<std::string> env) {
  std::string hint;
  for (const std::string& c : choices) hint += (hint.empty() ? "" : "|") + c;
  Entry& e = add(name, "", help, std::move(env));
  e.hint = hint;
  e.choices = choices;
  e.default_text = *t;
  e.set = [t, choices, hint](const std::string& v) {
    for (const std::string& c : choices)
      if (c == v) {
        *t = v;
        return Status::Ok();
      }
    return Status::Fail("expects one of " + hint + ", got '" + v + "'");
  };
  return *this;
}

Status Options::set(Entry& e, const std::string& value, const std::string& origin) {
  Status st = e.set(value);
  if (!st.ok()) return Status::Fail(origin + " " + st.error + "  (usage: --" + e.name + (e.hint.empty() ? "" : " " + e.hint) + ")");
  e.given = true;
  return st;
}

Status Options::parse(const std::vector<std::string>& args, std::vector<std::string>* positional) {
  for (size_t i = 0; i < args.size(); i++) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      if (!positional) return Status::Fail("unexpected argument '" + a + "'");
      positional->push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) value = name.substr(eq + 1), name.resize(eq), has_value = true;
    Entry* entry = nullptr;
    bool negated = false;
    for (Entry& e : entries_) {
      if (e.name == name) entry = &e;
      else if (e.is_flag && name == "no_" + e.name) entry = &e, negated = true;
    }
    if (!entry) return Status::Fail("unknown option '--" + name + "' (pix2pix " + command_ + " --help lists them)");
    if (entry->is_flag) {
      Status st = set(*entry, has_value ? value : (negated ? "false" : "true"), "--" + name);
      if (!st.ok()) return st;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Fail("--" + name + " needs a value  (usage: --" + name + " " + entry->hint + ")");
      value = args[++i];
    }
    Status st = set(*entry, value, "--" + name);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status Options::parse_env() {
  for (Entry& e : entries_) {
    std::vector<std::string> names = e.env;
    names.insert(names.begin(), e.name);
    for (const std::string& n : names)
      if (const char* v = std::getenv(n.c_str())) {
        Status st = set(e, v, "environment " + n + "=");
        if (!st.ok()) return st;
        break;
      }
  }
  return Status::Ok();
}

bool Options::given(const char* name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return e.given;
  return false;
}

std::string Options::help() const {
  std::string out = "usage: pix2pix " + command_ + " [options]\n" + summary_ + "\n\noptions:\n";
  for (const Entry& e : entries_) {
    std::string left = "  --" + e.name + (e.hint.empty() ? "" : " " + e.hint);
    if (left.size() < 34) left.resize(34, ' ');
    else left += "\n" + std::string(34, ' ');
    out += left + e.help;
    if (!e.default_text.empty()) out += " (default " + e.default_text + ")";
    if (!e.env.empty()) {
      out += " [env";
      for (const std::string& n : e.env) out += " " + n;
      out += "]";
    }
    out += "\n";
  }
  return out;
}

int fail(const std::string& command, const std::string& why, int code) {
  // Messages escape file-derived bytes where they are made; this keeps the line one line whatever slipped through.
  std::fprintf(stderr, "pix2pix %s: %s\n", command.c_str(), printable(why, 4096).c_str());
  return code;
}

}  // namespace p2p
