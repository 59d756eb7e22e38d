// What a train-style run shows: preview strips of held photos (photo | stylised) and runs/NAME/index.html.
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>

#include "native/device_select.h"
#include "native/results_page.h"
#include "native/style_run.h"
#include "shared/file_io.h"

namespace p2p {

namespace {
std::string step_label(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step%07lld", (long long)step);
  return buf;
}
}  // namespace

Status StyleRun::write_preview() {
  torch::NoGradGuard no_grad;
  const int c = o_.image_size;
  Image strip(2 * c, c * int(previews_.size()), 3, 255);
  for (size_t i = 0; i < previews_.size(); i++) {
    torch::Tensor y = net_->forward(to_torch(image_to_tensor(previews_[i], 0, 255)).to(device_));
    Image out = tensor_to_image(from_torch(y.clamp(0, 255).cpu()), 0, 255);
    for (int row = 0; row < c; row++) {
      uint8_t* dst = &strip.pixels[(size_t(i) * c + row) * size_t(2 * c) * 3];
      std::copy_n(&previews_[i].pixels[size_t(row) * c * 3], c * 3, dst);
      std::copy_n(&out.pixels[size_t(row) * c * 3], c * 3, dst + c * 3);
    }
  }
  return save_png(run_dir_ + "/images/" + step_label(step_) + ".png", strip);
}

Status StyleRun::write_page() const {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(run_dir_ + "/images", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string f = it->path().filename().string();
    if (f.rfind("step", 0) == 0 && f.size() > 4 && f.substr(f.size() - 4) == ".png") files.push_back(f);
  }
  std::sort(files.rbegin(), files.rend());
  std::vector<std::pair<std::string, std::string>> previews;
  for (const std::string& f : files) previews.emplace_back(std::to_string(std::atoll(f.c_str() + 4)), "images/" + f);
  TrainingPageInfo info;
  info.name = o_.name + " (train-style)";
  info.running = step_ < o_.steps;
  info.details = {{"style image", style_name_},
                  {"photos", o_.dataset + " (" + std::to_string(photos_.size()) + " used, " + std::to_string(skipped_photos_) + " skipped)"},
                  {"network", "transformer ngf " + std::to_string(o_.ngf)},
                  {"loss network", loss_description_},
                  {"weights", "content " + json_number(o_.content_weight) + ", style " + json_number(o_.style_weight) +
                                  ", tv " + json_number(o_.tv_weight)},
                  {"step", std::to_string(step_) + " of " + std::to_string(o_.steps) + " (batch " + std::to_string(o_.batch_size) + ")"},
                  {"training time", json_number(std::round(train_seconds_)) + " s"},
                  {"device", hardware_text(device_)}};
  return write_style_training_page(run_dir_, info, previews);
}

}  // namespace p2p
