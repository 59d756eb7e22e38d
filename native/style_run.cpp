#include "native/style_run.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "native/checkpoint_store.h"
#include "native/dataset.h"
#include "native/device_select.h"
#include "native/model_file.h"
#include "native/progress.h"
#include "native/seed_mix.h"
#include "shared/file_io.h"
#include "shared/safetensors.h"

namespace p2p {

namespace {

// The random network's defaults, chosen by measurement (docs/style-transfer.md, "Random loss networks"): content at a
// coarse tap, since random features reconstruct pixels almost exactly.
constexpr float kRandomContentWeight = 1, kRandomStyleWeight = 0.4f, kRandomTvWeight = 0;
const char* const kRandomContentLayer = "relu2_2";
// The first ReLU of each block: random filters right on the pixels carry the palette, deeper ones the strokes.
const std::vector<std::string> kRandomStyleLayers = {"relu1_1", "relu2_1", "relu3_1", "relu4_1"};

std::string num(double x) { return json_number(x); }

// PyTorch's default initialisation of a fresh TransformerNet (what pytorch/examples trains from): conv
// weights and biases uniform in +-1/sqrt(fan_in), instance-norm scale 1 and shift 0. Drawn on the CPU.
void init_transformer(GraphModule& net, int64_t seed) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(uint64_t(seed));
  const Graph& g = net->graph();
  std::map<std::string, int64_t> fan_in;
  for (const Param& p : parameters(g))
    if (g.nodes[p.node].op == Op::Conv2d && p.kind == ParamKind::Weight)
      fan_in[g.nodes[p.node].name] = p.shape[1] * p.shape[2] * p.shape[3];
  const auto& named = net->named_weights();
  const std::vector<Param> params = parameters(g);
  for (size_t i = 0; i < params.size(); i++) {
    const Param& p = params[i];
    const Node& n = g.nodes[p.node];
    torch::Tensor cpu;
    if (n.op == Op::Conv2d) {
      const double bound = 1.0 / std::sqrt(double(fan_in[n.name]));
      cpu = torch::rand(named[i].second.sizes(), gen) * (2 * bound) - bound;
    } else {
      cpu = p.kind == ParamKind::Weight ? torch::ones(named[i].second.sizes()) : torch::zeros(named[i].second.sizes());
    }
    named[i].second.copy_(cpu);
  }
}

Image scale_shorter_side(const Image& img, int shorter) {
  const double s = double(shorter) / std::min(img.width, img.height);
  return resize_bicubic(img, std::max(shorter, int(img.width * s + 0.5)), std::max(shorter, int(img.height * s + 0.5)));
}

Image center_crop(const Image& img, int size) {
  return crop(img, (img.width - size) / 2, (img.height - size) / 2, size, size);
}

}  // namespace

std::vector<std::string> to_args(const StyleTrainOptions& o) {
  std::vector<std::string> a;
  auto put = [&](const char* k, const std::string& v) { a.push_back(std::string("--") + k), a.push_back(v); };
  put("style", o.style), put("dataset", o.dataset), put("name", o.name), put("checkpoints_dir", o.checkpoints_dir);
  put("gpu_ids", o.gpu_ids);
  append_loss_args(o.loss, a);
  for (auto [k, v] : {std::pair<const char*, int>{"ngf", o.ngf}, {"image_size", o.image_size}, {"style_size", o.style_size},
                      {"batch_size", o.batch_size}, {"steps", o.steps}, {"seed", o.seed},
                      {"print_freq", o.print_freq}, {"save_freq", o.save_freq}, {"max_dataset_size", o.max_dataset_size}})
    put(k, std::to_string(v));
  for (auto [k, v] : {std::pair<const char*, float>{"lr", o.lr}, {"content_weight", o.content_weight},
                      {"style_weight", o.style_weight}, {"tv_weight", o.tv_weight}})
    put(k, num(v));
  return a;
}

Result<StyleRun> StyleRun::start(StyleTrainOptions o, DataParallel* dp) {
  using R = Result<StyleRun>;
  if (o.style.empty()) return R::Fail("--style FILE is required");
  if (o.dataset.empty()) return R::Fail("--dataset DIR (a folder of photos) is required");
  if (o.name.empty() || o.name.find('/') != std::string::npos || o.name[0] == '.')
    return R::Fail("--name must be a plain folder name, got '" + o.name + "'");
  if (o.ngf < 1 || o.ngf > 256) return R::Fail("--ngf must be between 1 and 256");
  if (o.image_size < 32 || o.image_size > 2048 || o.image_size % 4)
    return R::Fail("--image_size must be a multiple of 4 between 32 and 2048");
  if (o.style_size < 16 || o.style_size > 4096) return R::Fail("--style_size must be between 16 and 4096");
  if (o.batch_size < 1 || o.batch_size > 256) return R::Fail("--batch_size must be between 1 and 256");
  if (o.steps < 1 || o.print_freq < 1 || o.save_freq < 1) return R::Fail("--steps, --print_freq and --save_freq must be positive");
  if (!(o.lr > 0)) return R::Fail("--lr must be positive");
  const bool random = o.loss.random();
  if (o.loss.content_layers.empty()) o.loss.content_layers = {random ? kRandomContentLayer : "relu2_2"};
  if (o.loss.style_layers.empty())
    o.loss.style_layers = random ? kRandomStyleLayers : std::vector<std::string>{"relu1_2", "relu2_2", "relu3_3", "relu4_3"};
  Result<LossNetOptions> lo = o.loss.net_options();
  if (!lo.ok()) return R::Fail(lo.error);
  if (o.content_weight < 0) o.content_weight = random ? kRandomContentWeight : 1e5f;
  if (o.style_weight < 0) o.style_weight = random ? kRandomStyleWeight : 1e10f;
  if (o.tv_weight < 0) o.tv_weight = random ? kRandomTvWeight : 0;
  if (o.seed < 0) o.seed = int(std::random_device{}() & 0x7fffffff);

  StyleRun r;
  r.dp_ = dp;
  r.run_dir_ = o.checkpoints_dir + "/" + o.name;
  const std::string ckpt = r.run_dir_ + "/checkpoints";
  const bool main = r.main();
  if (!main) o.continue_train = false;  // rank 0's state comes below
  if (o.continue_train && !file_exists(ckpt)) return R::Fail(r.run_dir_ + " has no checkpoint to continue from");
  if (main) {
    // Held to the end: also clears what a killed save left, so only a complete checkpoint counts below.
    Result<CheckpointLock> lock = lock_checkpoints(ckpt);
    if (!lock.ok()) return R::Fail(lock.error);
    r.lock_ = std::move(lock.value);
    const bool saved = checkpoint_exists(ckpt, "latest");
    if (!o.continue_train && saved)
      return R::Fail(r.run_dir_ + " has checkpoints already: --continue_train resumes it, or choose another --name");
    if (o.continue_train && !saved) {
      std::printf("%s has no complete checkpoint yet (the run stopped before its first save): starting it from the beginning\n",
                  ckpt.c_str());
      o.continue_train = false;
    }
  }
  std::string note;
  if (Status st = select_device(o.gpu_ids, r.device_, note); !st.ok()) return R::Fail(st.error);
  if (dp && r.device_.is_cuda()) r.device_ = torch::Device(torch::kCUDA, torch::DeviceIndex(dp->local_rank()));
  if (!note.empty() && main) std::printf("%s\n", note.c_str());

  Result<Image> style = load_image(o.style, 3);
  if (!style.ok()) return R::Fail(style.error);
  r.style_name_ = base_name(o.style);
  Result<std::vector<std::string>> files = list_images(o.dataset);
  if (!files.ok()) return R::Fail("--dataset: " + files.error);
  if (o.max_dataset_size > 0 && files.value.size() > size_t(o.max_dataset_size)) files.value.resize(size_t(o.max_dataset_size));
  const int keep = o.image_size * 3 / 2;
  for (const std::string& f : files.value) {
    Result<Image> img = load_image(o.dataset + "/" + f, 3);
    if (!img.ok() || std::min(img.value.width, img.value.height) < o.image_size / 2) {
      if (main) std::printf("warning: skipped %s\n", img.ok() ? (f + ": smaller than half the crop size").c_str() : img.error.c_str());
      r.skipped_photos_++;
      continue;
    }
    r.photos_.push_back(scale_shorter_side(img.value, keep));
  }
  if (r.photos_.empty()) return R::Fail("--dataset " + o.dataset + ": no readable photos");
  for (size_t i : {size_t(0), r.photos_.size() / 2, r.photos_.size() - 1})
    r.previews_.push_back(center_crop(scale_shorter_side(r.photos_[i], o.image_size), o.image_size));

  try {
    Result<LossNet> loss = LossNet::make(lo.value, r.device_);
    if (!loss.ok()) return R::Fail(loss.error);
    r.loss_ = std::make_shared<LossNet>(std::move(loss.value));
    r.loss_description_ = r.loss_->description();
    const double s = double(o.style_size) / std::max(style.value.width, style.value.height);
    Image st = resize_bicubic(style.value, std::max(1, int(style.value.width * s + 0.5)), std::max(1, int(style.value.height * s + 0.5)));
    r.grams_ = blended_grams(*r.loss_, {to_torch(image_to_tensor(st, 0, 255)).to(r.device_)}, {1.0f}, o.loss.content_layers.size());

    r.net_ = GraphModule(build(ModelSpec::transformer(o.ngf)).value);
    init_transformer(r.net_, o.seed);
    r.net_->to(r.device_);
    r.net_->set_mode(RunMode::training());
    r.adam_ = std::make_unique<Adam>(r.net_->named_weights(), o.lr, 0.9, 0.999);
    if (o.continue_train) {
      Result<CheckpointFiles> files = find_checkpoint(ckpt, "latest");
      if (!files.ok()) return R::Fail(files.error);
      Result<ModelFile> g = load_model_file(files.value.part("net_G"));
      if (!g.ok()) return R::Fail(g.error);
      if (g.value.spec.ngf != o.ngf) return R::Fail(ckpt + ": the run's net has ngf " + std::to_string(g.value.spec.ngf));
      Result<SafetensorsFile> state = load_safetensors(files.value.part("state"));
      if (!state.ok()) return R::Fail(state.error);
      if (g.value.metadata["steps"] != state.value.metadata["steps"])
        return R::Fail(ckpt + ": latest_net_G (step " + g.value.metadata["steps"] + ") and latest_state (step " +
                       state.value.metadata["steps"] + ") disagree");
      if (Status st2 = r.net_->load_weights(g.value.weights); !st2.ok()) return R::Fail(st2.error);
      if (Status st2 = r.adam_->load_state(state.value.weights, "opt."); !st2.ok()) return R::Fail(ckpt + ": " + st2.error);
      r.step_ = std::atoll(state.value.metadata["steps"].c_str());
      r.train_seconds_ = std::atof(state.value.metadata["train_seconds"].c_str());
    }
  } catch (const std::exception& e) {
    return R::Fail(one_line(e));
  }
  r.o_ = o;
  if (dp) {
    try {
      r.share_state();
    } catch (const std::exception& e) {
      return R::Fail(dp->explain_failure(one_line(e)));
    }
    r.share_ = std::make_unique<GradientBuckets>(*dp, [&] {
      std::vector<torch::Tensor> p;
      for (const auto& [name, t] : r.net_->named_weights()) p.push_back(t);
      return p;
    }());
  }
  if (!main) return {std::move(r), ""};
  std::printf("train-style %s: %zu photos%s, style %s, transformer ngf %d, loss network %s%s\n", o.name.c_str(),
              r.photos_.size(), r.skipped_photos_ ? (" (" + std::to_string(r.skipped_photos_) + " skipped)").c_str() : "",
              r.style_name_.c_str(), o.ngf, r.loss_description_.c_str(),
              r.loss_->random() ? " -- no pretrained weights given (--vgg FILE): random features, see docs/style-transfer.md" : "");
  std::fflush(stdout);
  return {std::move(r), ""};
}

void StyleRun::share_state() {
  Weights adam;
  adam_->save_state(adam, "opt.");
  std::vector<torch::Tensor> tensors;
  for (const auto& [name, t] : net_->named_weights()) tensors.push_back(t);
  std::vector<torch::Tensor> adam_tensors;
  for (auto& [name, t] : adam) adam_tensors.push_back(to_torch(t).to(device_));
  torch::Tensor numbers = torch::tensor({double(step_), train_seconds_}, torch::kDouble);
  tensors.insert(tensors.end(), adam_tensors.begin(), adam_tensors.end());
  tensors.push_back(numbers);
  dp_->broadcast(tensors);
  if (main()) return;
  size_t i = 0;
  for (auto& [name, t] : adam) t = from_torch(adam_tensors[i++]);
  if (Status st = adam_->load_state(adam, "opt."); !st.ok()) throw std::runtime_error(st.error);
  step_ = int64_t(numbers[0].item<double>()), train_seconds_ = numbers[1].item<double>();
}

torch::Tensor StyleRun::batch(int64_t step) {
  std::mt19937_64 rng(splitmix64(uint64_t(o_.seed) ^ splitmix64(uint64_t(step))));
  const int c = o_.image_size;
  // The step's crops over all ranks are drawn in one sequence, each rank making its own share: so N ranks
  // of batch B train on what one process of batch N x B would.
  const int ranks = dp_ ? dp_->size() : 1, first = (dp_ ? dp_->rank() : 0) * o_.batch_size;
  std::vector<torch::Tensor> items;
  for (int i = 0; i < o_.batch_size * ranks; i++) {
    const Image& p = photos_[rng() % photos_.size()];
    // A square of side between the crop size and the whole shorter side, scaled to the crop size.
    const int most = std::min(p.width, p.height), side = c + int(rng() % uint64_t(most - c + 1));
    const int x = int(rng() % uint64_t(p.width - side + 1)), y = int(rng() % uint64_t(p.height - side + 1));
    const bool flip = rng() & 1;
    if (i < first || i >= first + o_.batch_size) continue;
    Image img = crop(p, x, y, side, side);
    if (side != c) img = resize_bicubic(img, c, c);
    if (flip) img = flip_horizontal(img);
    items.push_back(to_torch(image_to_tensor(img, 0, 255)));
  }
  return torch::cat(items, 0).to(device_);
}

Status StyleRun::train(const std::atomic<bool>& stop) {
  if (step_ >= o_.steps) {
    if (!main()) return Status::Ok();
    std::printf("the run is complete (%d steps); raise --steps to train on\n", o_.steps);
    return write_page();
  }
  if (main()) {
    if (Status st = make_dirs(run_dir_ + "/checkpoints"); !st.ok()) return st;
    if (Status st = make_dirs(run_dir_ + "/images"); !st.ok()) return st;
  }
  Progress progress(o_.name, o_.steps, "steps");  // rank 0's
  if (dp_ && main())
    progress.say("data-parallel: " + std::to_string(dp_->size()) + " ranks x batch " + std::to_string(o_.batch_size) +
                 " = effective batch " + std::to_string(dp_->size() * o_.batch_size) + ", lr " + json_number(o_.lr) +
                 " (as given, not scaled)");
  bool stopping = false;
  const size_t nc = o_.loss.content_layers.size();
  double sums[3] = {0, 0, 0};
  int in_window = 0;
  auto window_start = std::chrono::steady_clock::now();
  while (step_ < o_.steps) {
    try {
      stopping = dp_ ? dp_->any(stop) : bool(stop);
    } catch (const std::exception& e) {
      return Status::Fail(dp_->explain_failure(one_line(e)));
    }
    if (stopping) break;
    const auto t0 = std::chrono::steady_clock::now();
    if (dp_) dp_->set_step(step_);
    float parts[3];
    try {
      torch::Tensor x = batch(step_);
      std::vector<torch::Tensor> target;
      {
        torch::NoGradGuard no_grad;
        std::vector<torch::Tensor> f = loss_->features(x);
        target.assign(f.begin(), f.begin() + long(nc));
      }
      torch::Tensor y = net_->forward(x);
      StyleWeights w{o_.content_weight, o_.style_weight, o_.tv_weight, loss_->random(), nullptr};
      if (dp_) w.mean_over_ranks = [this](const torch::Tensor& m) { return dp_->mean(m); };
      StyleTerms t = style_terms(loss_->features(y), nc, target, grams_, y, x, w);
      adam_->zero_grad();
      if (share_) share_->arm();
      t.total().backward();
      if (share_) share_->finish();
      adam_->step();
      parts[0] = t.content.item<float>(), parts[1] = t.style.item<float>(), parts[2] = t.tv.item<float>();
    } catch (const std::exception& e) {
      return Status::Fail(dp_ ? dp_->explain_failure(one_line(e)) : one_line(e));
    }
    step_++;
    train_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (int i = 0; i < 3; i++) sums[i] += parts[i];
    in_window++;
    char text[128];
    std::snprintf(text, sizeof text, "content %.4g  style %.4g  tv %.4g", parts[0], parts[1], parts[2]);
    if (!main()) continue;
    progress.update(step_, text);
    if (step_ % o_.print_freq == 0 || step_ == o_.steps) {
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      Json j = Json::object();
      j["epoch"] = 1;  // the training page's log format: the x axis is "progress", the share of the steps done
      j["iter"] = step_;
      j["progress"] = double(step_) / o_.steps;
      j["step"] = step_;
      j["images"] = step_ * o_.batch_size * (dp_ ? dp_->size() : 1);
      Json l = Json::object();
      l["content"] = sums[0] / in_window, l["style"] = sums[1] / in_window, l["tv"] = sums[2] / in_window;
      l["total"] = (sums[0] + sums[1] + sums[2]) / in_window;
      j["losses"] = std::move(l);
      j["images_per_sec"] = wall > 0 ? in_window * o_.batch_size * (dp_ ? dp_->size() : 1) / wall : 0.0;
      std::string line = j.dump() + "\n";
      if (FILE* f = std::fopen((run_dir_ + "/log.jsonl").c_str(), "a")) std::fwrite(line.data(), 1, line.size(), f), std::fclose(f);
      sums[0] = sums[1] = sums[2] = 0, in_window = 0, window_start = std::chrono::steady_clock::now();
    }
    if (step_ % o_.save_freq == 0 && step_ < o_.steps)
      if (Status st = save(); !st.ok()) return st;
  }
  if (!main()) return Status::Ok();
  progress.end();
  if (Status st = save(); !st.ok()) return st;
  progress.say(std::string(stopping ? "interrupted" : "done") + ": saved " + run_dir_ + "/checkpoints/latest_* at step " +
               std::to_string(step_) + (stopping ? " (resume with --continue_train)" : ""));
  return Status::Ok();
}

Status StyleRun::save() {
  const std::string dir = run_dir_ + "/checkpoints";
  std::map<std::string, std::string> meta = ModelSpec::transformer(o_.ngf).to_metadata();
  const std::string steps = std::to_string(step_);
  meta.insert({{"source", "pix2pix train-style"}, {"run", o_.name}, {"dataset", base_name(o_.dataset)},
               {"style_image", style_name_}, {"loss_network", loss_description_}, {"crop_size", std::to_string(o_.image_size)},
               {"hardware", hardware_text(device_)}, {"steps", steps},
               {"total_iters", std::to_string(step_ * o_.batch_size * (dp_ ? dp_->size() : 1))}, {"train_seconds", num(train_seconds_)}});
  Weights state;
  adam_->save_state(state, "opt.");
  Json args = Json::array();
  for (const std::string& a : to_args(o_)) args.push_back(a);
  std::map<std::string, std::string> smeta = {{"steps", steps}, {"train_seconds", num(train_seconds_)}, {"args", args.dump()}};
  if (Status st = save_checkpoint_parts(dir, "latest", {{"net_G", net_->to_weights(), meta}, {"state", std::move(state), smeta}});
      !st.ok())
    return st;
  if (Status st = write_preview(); !st.ok()) return st;
  return write_page();
}

}  // namespace p2p
