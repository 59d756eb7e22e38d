// Progress of a long command (stylize, train-style): a bar with rate and ETA redrawn on a terminal, a plain
// line every so often otherwise. Counts "units" (iterations, images) against a known total.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace p2p {

std::string duration_text(double seconds);  // "1h05m", "3m07s", "?" when unknown

class Progress {
 public:
  // label: printed first ("stage 1/2", "style"); unit: "it" or "img".
  Progress(std::string label, int64_t total, std::string unit);
  // done units so far, and free text (losses). Redraws at most 5 times a second; prints a line every
  // line_every units when not on a terminal (and always when force_line).
  void update(int64_t done, const std::string& text, bool force_line = false);
  void say(const std::string& line);  // a line on stdout, the bar cleared first
  void end();                         // clears the bar
  double rate() const;                // units per second since the start

 private:
  std::string label_, unit_;
  int64_t total_, start_done_ = -1, last_done_ = 0, last_line_ = 0, line_every_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_{};
};

}  // namespace p2p
