// A fast-style training run: options, photos held in memory, the transformer net, its loss network and
// Adam; checkpoints (latest: net_G + state, saved as one unit by native/checkpoint_store.h), log.jsonl, previews and
// index.html.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <random>
#include <string>
#include <vector>

#include "native/adam.h"
#include "native/checkpoint_store.h"
#include "native/distributed.h"
#include "native/style_loss.h"
#include "native/torch_graph.h"
#include "shared/image.h"
#include "shared/json.h"
#include "shared/models.h"

namespace p2p {

struct StyleTrainOptions {
  std::string style, dataset, name = "style", checkpoints_dir = "runs";
  std::string gpu_ids = "0";
  LossFlags loss = [] { LossFlags f; f.vgg_depth = 16; return f; }();
  int ngf = 32, image_size = 256, style_size = 256, batch_size = 4, steps = 2000;
  int seed = -1, print_freq = 20, save_freq = 200, max_dataset_size = 0;
  float lr = 1e-3f, content_weight = -1, style_weight = -1, tv_weight = -1;  // -1: the loss network's default
  bool continue_train = false;
  int dist_timeout = 300;  // data-parallel: seconds to wait for the other ranks (not stored with the run)
};

// The options as command-line arguments (what a resumed run parses before the new ones).
std::vector<std::string> to_args(const StyleTrainOptions& o);

class StyleRun {
 public:
  // Checks the options, resolves the loss network's defaults, reads the style image and the photos, builds
  // the nets and, with continue_train, loads the latest checkpoint. Errors are one line. Data-parallel (dp),
  // rank 0 alone reads and writes the run's files; every rank starts from its state and takes its share of
  // each step's batch.
  static Result<StyleRun> start(StyleTrainOptions o, DataParallel* dp = nullptr);
  // Trains to o.steps, saving every save_freq steps and when `stop` turns true.
  Status train(const std::atomic<bool>& stop);

  const StyleTrainOptions& options() const { return o_; }

 private:
  torch::Tensor batch(int64_t step);  // random crops for that step (a function of the seed and the step): this rank's share
  bool main() const { return !dp_ || dp_->main(); }
  void share_state();                 // rank 0's weights, optimizer state and position to every rank
  Status save();
  Status write_page() const;
  Status write_preview();

  StyleTrainOptions o_;
  torch::Device device_{torch::kCPU};
  std::string run_dir_, style_name_, loss_description_;
  std::vector<Image> photos_;  // shorter side scaled to 1.5x the crop size
  std::vector<Image> previews_;
  GraphModule net_{nullptr};
  std::shared_ptr<LossNet> loss_;
  std::vector<torch::Tensor> grams_;
  std::unique_ptr<Adam> adam_;
  int64_t step_ = 0;
  double train_seconds_ = 0;
  int skipped_photos_ = 0;
  CheckpointLock lock_;  // this process's hold on the run's checkpoints
  DataParallel* dp_ = nullptr;
  std::unique_ptr<GradientBuckets> share_;
};

}  // namespace p2p
