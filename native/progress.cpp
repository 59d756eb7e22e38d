#include "native/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace p2p {

std::string duration_text(double s) {
  if (!(s >= 0) || s > 1e8) return "?";
  long t = long(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(std::max<int64_t>(total, 1)),
      line_every_(std::max<int64_t>(total_ / 20, 1)), tty_(isatty(2)), start_(std::chrono::steady_clock::now()) {}

double Progress::rate() const {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return s > 0 && start_done_ >= 0 ? double(last_done_ - start_done_) / s : 0.0;
}

void Progress::update(int64_t done, const std::string& text, bool force_line) {
  const auto now = std::chrono::steady_clock::now();
  if (start_done_ < 0) start_done_ = done, start_ = now;
  last_done_ = done;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? double(done - start_done_) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done) / rate : -1;
  const bool line = force_line || (!tty_ && done - last_line_ >= line_every_) || done >= total_;
  if (line) last_line_ = done;
  char head[160];
  std::snprintf(head, sizeof head, "%s %lld/%lld  %.2f %s/s  ETA %s  ", label_.c_str(), (long long)done,
                (long long)total_, rate, unit_.c_str(), duration_text(eta).c_str());
  if (line && !tty_) {
    std::printf("%s%s\n", head, text.c_str());
    std::fflush(stdout);
  }
  if (tty_ && (line || now - last_draw_ > std::chrono::milliseconds(200))) {
    last_draw_ = now;
    const int width = 20, filled = int(width * std::min(done, total_) / total_);
    std::string bar(size_t(width) + 2, ' ');
    bar.front() = '[', bar.back() = ']';
    std::fill_n(bar.begin() + 1, filled, '=');
    std::fprintf(stderr, "\r\x1b[K%s %s %s", bar.c_str(), head, text.c_str());
    std::fflush(stderr);
  }
}

void Progress::say(const std::string& line) {
  if (tty_) std::fprintf(stderr, "\r\x1b[K");
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void Progress::end() {
  if (tty_) std::fprintf(stderr, "\r\x1b[K");
}

}  // namespace p2p
