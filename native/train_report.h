// What a training run tells as it goes: log.jsonl records (losses and timings averaged since the previous
// record), plain progress lines on stdout, or a one-line progress bar on stderr when that is a terminal.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "native/pix2pix_model.h"
#include "native/train_checkpoint.h"

namespace p2p {

class TrainReporter {
 public:
  TrainReporter(std::string log_path, bool use_GAN, bool use_L1);

  // The run's shape, once the loader knows it: the ETA counts down from images_left.
  void start(int64_t last_epoch, size_t epoch_items, size_t batches_per_epoch, int64_t images_left);
  // One step: its losses, the seconds spent waiting for data and computing, and the images it took.
  void step(const Losses& losses, double data_seconds, double step_seconds, int64_t images);
  // log_line: appends a log.jsonl record {"epoch", "iter", "total_iters", "progress", "losses", "lr", "time_data",
  // "time_step", "images_per_sec"} (and without a terminal, prints a progress line). With a terminal, redraws the bar.
  void report(const TrainProgress& pos, double lr, bool log_line);
  void say(const std::string& line);  // a line on stdout, the bar cleared first
  void end_bar();
  void silence() { silent_ = true; }  // data-parallel ranks but 0: no log, no lines

  double images_per_second() const { return rate_; }  // smoothed

 private:
  std::string losses_text(const Losses& l) const;

  std::string log_path_;
  bool use_GAN_, use_L1_, tty_, silent_ = false;
  int64_t last_epoch_ = 1, images_left_ = 0;
  size_t epoch_items_ = 0, batches_per_epoch_ = 1;
  double rate_ = 0;
  Losses last_;
  // Sums since the previous record.
  Losses sum_;
  double time_data_ = 0, time_step_ = 0;
  int64_t steps_ = 0, images_ = 0;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now(), last_bar_{};
  bool log_error_shown_ = false;
};

}  // namespace p2p
