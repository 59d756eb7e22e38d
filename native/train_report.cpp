// Progress of a training run: log.jsonl, progress lines, the terminal's progress bar.
#include "native/train_report.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "native/progress.h"
#include "shared/json.h"

namespace p2p {


TrainReporter::TrainReporter(std::string log_path, bool use_GAN, bool use_L1)
    : log_path_(std::move(log_path)), use_GAN_(use_GAN), use_L1_(use_L1), tty_(isatty(2)) {}

void TrainReporter::start(int64_t last_epoch, size_t epoch_items, size_t batches_per_epoch, int64_t images_left) {
  last_epoch_ = last_epoch, epoch_items_ = epoch_items, batches_per_epoch_ = std::max<size_t>(1, batches_per_epoch);
  images_left_ = images_left;
  window_start_ = std::chrono::steady_clock::now();
}

void TrainReporter::step(const Losses& l, double data_seconds, double step_seconds, int64_t images) {
  sum_.G_GAN += l.G_GAN, sum_.G_L1 += l.G_L1, sum_.D_real += l.D_real, sum_.D_fake += l.D_fake;
  time_data_ += data_seconds, time_step_ += step_seconds, steps_++, images_ += images;
  images_left_ -= images;
  last_ = l;
  const double now_rate = double(images) / std::max(1e-9, data_seconds + step_seconds);
  rate_ = rate_ > 0 ? 0.9 * rate_ + 0.1 * now_rate : now_rate;
}

std::string TrainReporter::losses_text(const Losses& l) const {
  char buf[160];
  if (use_GAN_ && use_L1_)
    std::snprintf(buf, sizeof buf, "G_GAN %.3f G_L1 %.3f D_real %.3f D_fake %.3f", l.G_GAN, l.G_L1, l.D_real, l.D_fake);
  else if (use_GAN_)
    std::snprintf(buf, sizeof buf, "G_GAN %.3f D_real %.3f D_fake %.3f", l.G_GAN, l.D_real, l.D_fake);
  else
    std::snprintf(buf, sizeof buf, "G_L1 %.3f", l.G_L1);
  return buf;
}

void TrainReporter::say(const std::string& line) {
  if (silent_) return;
  if (tty_) std::fprintf(stderr, "\r\x1b[K");
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void TrainReporter::end_bar() {
  if (silent_) return;
  if (tty_) std::fprintf(stderr, "\r\x1b[K");
}

void TrainReporter::report(const TrainProgress& pos, double lr, bool log_line) {
  if (silent_) return;
  const auto now = std::chrono::steady_clock::now();
  const double eta = rate_ > 0 ? double(images_left_) / rate_ : -1;
  if (log_line && steps_) {
    const double wall = std::chrono::duration<double>(now - window_start_).count(), k = double(steps_);
    Json j = Json::object();
    j["epoch"] = pos.epoch;
    j["iter"] = pos.epoch_iter;
    j["total_iters"] = pos.total_iters;
    j["progress"] = double(pos.epoch - 1) + double(pos.epoch_batches) / double(batches_per_epoch_);
    Json losses = Json::object();
    Losses m;
    m.G_GAN = float(sum_.G_GAN / k), m.G_L1 = float(sum_.G_L1 / k), m.D_real = float(sum_.D_real / k);
    m.D_fake = float(sum_.D_fake / k);
    if (use_GAN_) losses["G_GAN"] = m.G_GAN;
    if (use_L1_) losses["G_L1"] = m.G_L1;
    if (use_GAN_) losses["D_real"] = m.D_real, losses["D_fake"] = m.D_fake;
    j["losses"] = std::move(losses);
    j["lr"] = lr;
    j["time_data"] = time_data_ / k;
    j["time_step"] = time_step_ / k;
    j["images_per_sec"] = wall > 0 ? double(images_) / wall : 0.0;
    const std::string line = j.dump() + "\n";
    FILE* f = std::fopen(log_path_.c_str(), "a");
    if (f) std::fwrite(line.data(), 1, line.size(), f);
    if (!f || std::fclose(f) != 0) {
      if (!log_error_shown_) say("warning: cannot append to " + log_path_);
      log_error_shown_ = true;
    }
    if (!tty_) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "epoch %lld/%lld  iter %lld/%zu  total %lld  %.2f img/s  ETA %s  lr %.3g  ",
                    (long long)pos.epoch, (long long)last_epoch_, (long long)pos.epoch_iter, epoch_items_,
                    (long long)pos.total_iters, rate_, duration_text(eta).c_str(), lr);
      say(buf + losses_text(m));
    }
    sum_ = Losses(), time_data_ = time_step_ = 0, steps_ = images_ = 0, window_start_ = now;
  }
  if (tty_ && (log_line || now - last_bar_ > std::chrono::milliseconds(200))) {
    last_bar_ = now;
    const int width = 20, filled = int(width * pos.epoch_batches / int64_t(batches_per_epoch_));
    std::string bar(size_t(width) + 2, ' ');
    bar.front() = '[', bar.back() = ']';
    std::fill_n(bar.begin() + 1, filled, '=');
    std::fprintf(stderr, "\r\x1b[Kepoch %lld/%lld %s %lld/%zu  %.1f img/s  ETA %s  %s", (long long)pos.epoch,
                 (long long)last_epoch_, bar.c_str(), (long long)pos.epoch_iter, epoch_items_, rate_,
                 duration_text(eta).c_str(), losses_text(last_).c_str());
    std::fflush(stderr);
  }
}

}  // namespace p2p
