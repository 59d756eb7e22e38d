// pix2pix train: the reference training loop (D step, then G step, per batch; the schedule's rate set at each
// epoch's start) with checkpoints, log.jsonl, the training page, a progress display, exact resume and Ctrl-C.
#include <torch/cuda.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "native/commands.h"
#include "native/dataset.h"
#include "native/device_select.h"
#include "native/distributed.h"
#include "native/model_file.h"
#include "native/pix2pix_model.h"
#include "native/results_page.h"
#include "native/seed_mix.h"
#include "native/train_checkpoint.h"
#include "native/train_options.h"
#include "native/train_report.h"
#include "shared/file_io.h"

namespace p2p {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

// The seed of step `step`'s random draws (dropout, wgangp's mixing): a function of (seed, step, rank) alone, so
// a resumed run draws what the uninterrupted one drew, and data-parallel ranks draw apart.
uint64_t step_seed(int64_t seed, int64_t step, int rank) {
  const uint64_t s = splitmix64(splitmix64(uint64_t(seed)) ^ uint64_t(step)) >> 1;
  return rank == 0 ? s : splitmix64(s ^ uint64_t(rank)) >> 1;
}

// Parses, merging the run's options.json when resuming: stored values stand unless given again.
Result<TrainOptions> parse_options(const Args& args, bool& help, bool& epoch_count_given) {
  using R = Result<TrainOptions>;
  auto parse_onto = [&](TrainOptions& t) -> Status {
    Options o("train", "Train a pix2pix model (the reference's options and defaults; Lua-style variables such as "
                       "DATA_ROOT=... name=... which_direction=BtoA work too).");
    add_train_options(o, t);
    if (Status st = o.parse_env(); !st.ok()) return st;
    if (Status st = o.parse(args); !st.ok()) return st;
    apply_lua_gpu_env(t, o.given("gpu_ids"));
    epoch_count_given = o.given("epoch_count");
    if (o.help_requested()) std::printf("%s", o.help().c_str()), help = true;
    return Status::Ok();
  };
  R r;
  if (Status st = parse_onto(r.value); !st.ok() || help) return st.ok() ? r : R::Fail(st.error);
  const std::string stored = r.value.run_dir() + "/options.json";
  if (r.value.continue_train && file_exists(stored)) {
    Result<Json> j = read_json_file(stored);
    if (!j.ok()) return R::Fail(j.error);
    TrainOptions merged;
    if (Status st = from_json(j.value, merged); !st.ok()) return R::Fail(stored + ": " + st.error);
    if (Status st = parse_onto(merged); !st.ok()) return R::Fail(st.error);
    r.value = merged;
  }
  if (Status st = validate(r.value); !st.ok()) return R::Fail(st.error);
  return r;
}

// log.jsonl without the records past `total_iters` (written by a run after the checkpoint it resumes from).
Status trim_log(const std::string& path, int64_t total_iters) {
  if (!file_exists(path)) return Status::Ok();
  Result<std::vector<uint8_t>> text = read_file(path);
  if (!text.ok()) return Status::Fail(text.error);
  std::string in(text.value.begin(), text.value.end()), out;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t end = in.find('\n', pos);
    if (end == std::string::npos) break;  // a line being written when the run stopped
    std::string_view line(in.data() + pos, end - pos);
    Result<Json> j = parse_json(line);
    if (j.ok() && j.value.is_object() && j.value.get_int("total_iters", -1) <= total_iters) out.append(line) += '\n';
    pos = end + 1;
  }
  return write_file_atomic(path, out);
}

struct DeviceBatch {
  Batch host;
  torch::Tensor A, B;
  double seconds = 0;  // waiting for the loader and copying
};

class Trainer {
 public:
  Trainer(TrainOptions t, torch::Device device, const Dataset& data, Pix2PixModel& model, LrSchedule schedule,
          DataParallel* dp, std::string me)
      : t_(std::move(t)), device_(device), data_(data), model_(model), schedule_(schedule), dp_(dp),
        main_(!dp || dp->main()), ranks_(dp ? dp->size() : 1), me_(std::move(me)), run_dir_(t_.run_dir()), ckpt_dir_(run_dir_ + "/checkpoints"),
        reporter_(run_dir_ + "/log.jsonl", t_.use_GAN, t_.use_L1) {
    options_json_ = to_json(t_).dump(2);
    if (!main_) reporter_.silence();
  }

  // Trains from `pos` (a fresh epoch when !pos.epoch_done and epoch_batches == 0) to the last epoch.
  int run(TrainProgress pos);

 private:
  Result<DeviceBatch> fetch(Loader& loader);
  Status check_size(const torch::Tensor& A);
  Status save(const std::string& label, const TrainProgress& pos);
  Status recompute_bn_stats(int64_t epoch);
  Status display(const DeviceBatch& b, const TrainProgress& pos, bool running);
  int stop(const std::string& why, int code, const TrainProgress& pos, bool saved);
  void note_skips(const Batch& b, TrainProgress& pos);
  Status step(const DeviceBatch& cur, TrainProgress& pos, bool epoch_end);

  TrainOptions t_;
  torch::Device device_;
  const Dataset& data_;
  Pix2PixModel& model_;
  LrSchedule schedule_;
  DataParallel* dp_;  // null: a single process
  bool main_;         // writes the run's files: rank 0
  int ranks_;
  std::string me_;  // the command, in messages
  std::string run_dir_, ckpt_dir_, options_json_;
  TrainReporter reporter_;
  std::set<std::pair<int64_t, int64_t>> sizes_ok_;
  std::set<std::string> warned_;  // skip reasons already shown
};

Result<DeviceBatch> Trainer::fetch(Loader& loader) {
  using R = Result<DeviceBatch>;
  auto t0 = std::chrono::steady_clock::now();
  R r;
  r.value.host = loader.next();
  Batch& b = r.value.host;
  if (!b.error.empty()) return R::Fail(b.error);
  if (b.indices.empty()) return r;  // every item skipped: no tensors
  auto upload = [&](const Tensor& x) {
    if (!device_.is_cuda()) return to_torch(x);
    // Pinned staging, so the copy runs asynchronously while the previous step computes.
    torch::Tensor pinned = torch::empty(x.shape, torch::TensorOptions().dtype(torch::kFloat).pinned_memory(true));
    std::memcpy(pinned.data_ptr<float>(), x.data.data(), x.data.size() * sizeof(float));
    return pinned.to(device_, torch::kFloat, /*non_blocking=*/true);
  };
  r.value.A = upload(b.a);
  r.value.B = upload(b.b);
  r.value.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

Status Trainer::check_size(const torch::Tensor& A) {
  std::pair<int64_t, int64_t> hw{A.size(2), A.size(3)};
  if (sizes_ok_.count(hw)) return Status::Ok();
  for (const GraphModule* net : {&model_.G, &model_.D}) {
    if (!*net) continue;
    Result<ShapeInfo> s = infer_shapes((*net)->graph(), hw.first, hw.second);
    if (!s.ok())
      return Status::Fail("images of " + std::to_string(hw.second) + "x" + std::to_string(hw.first) + " (after --preprocess " +
                          t_.preprocess + ") do not fit " + (net == &model_.G ? model_.g_spec : model_.d_spec).describe() +
                          ": " + s.error + " (choose --crop_size / --load_size / --preprocess to suit the network)");
  }
  sizes_ok_.insert(hw);
  return Status::Ok();
}

Status Trainer::save(const std::string& label, const TrainProgress& pos) {
  if (!main_) return Status::Ok();
  std::map<std::string, std::string> meta = {{"source", "pix2pix train"},
                                             {"run", t_.name},
                                             {"dataset", base_name(t_.dataroot)},
                                             {"direction", t_.direction},
                                             {"crop_size", std::to_string(t_.crop_size)},
                                             {"hardware", hardware_text(device_)},
                                             {"epochs", std::to_string(pos.epoch_done ? pos.epoch : pos.epoch - 1)}};
  return save_checkpoint(ckpt_dir_, label, model_, schedule_, pos, meta, options_json_);
}

// G's BatchNorm running statistics become the mean over bn_stats_batches training batches, dropout off: what the
// network meets at test time. The momentum average that training keeps leans on the last dozen batches, and a
// model's colours changed from epoch to epoch with it. The batches are drawn as an epoch numbered -epoch
// would draw them; neither the weights nor torch's random stream are touched, so a resumed run still equals
// the uninterrupted one.
Status Trainer::recompute_bn_stats(int64_t epoch) {
  LoaderOptions lo;
  lo.batch_size = t_.batch_size, lo.threads = t_.num_threads, lo.first_epoch = -epoch, lo.skip_unreadable = true;
  Loader loader(data_, lo);
  const size_t batches = std::min(size_t(t_.bn_stats_batches), loader.batches_per_epoch());
  torch::NoGradGuard no_grad;
  RunMode mode = RunMode::training();
  int seen = 0;
  for (size_t i = 0; i < batches; i++) {
    Result<DeviceBatch> b = fetch(loader);
    if (!b.ok()) return Status::Fail(b.error);
    if (!b.value.A.defined()) continue;
    mode.stats_momentum = 1.0 / ++seen;
    model_.G->set_mode(mode);
    model_.G->forward(b.value.A);
  }
  model_.G->set_mode(RunMode::training());
  return Status::Ok();
}

Status Trainer::display(const DeviceBatch& b, const TrainProgress& pos, bool running) {
  if (!main_) return Status::Ok();
  if (b.A.defined()) {
    // The training page's sample: the test protocol's forward (image statistics, seeded dropout noise), which
    // leaves the running statistics and torch's random stream untouched.
    RunMode mode = RunMode::eval(NormMode::BatchStats);
    mode.dropout_noise = true;
    model_.G->set_mode(mode);
    torch::Tensor fake = model_.generate(b.A.narrow(0, 0, 1));
    model_.G->train();
    Status st = save_epoch_images(run_dir_, pos.epoch, tensor_to_image(b.host.a), tensor_to_image(from_torch(fake)),
                                  tensor_to_image(b.host.b));
    if (!st.ok()) return st;
  }
  TrainingPageInfo info;
  info.name = t_.name;
  info.running = running;
  const int64_t last = int64_t(t_.n_epochs) + t_.n_epochs_decay;
  info.details = {{"dataset", t_.dataroot + " (" + std::to_string(data_.size()) + " pairs, " + t_.phase + ", " + t_.direction + ")"},
                  {"generator", model_.g_spec.describe()},
                  {"discriminator", model_.D ? model_.d_spec.describe() : "none (L1 only)"},
                  {"epoch", std::to_string(pos.epoch) + " of " + std::to_string(last) + (pos.epoch_done ? " (done)" : "")},
                  {"images seen", std::to_string(pos.total_iters)},
                  {"learning rate", json_number(model_.lr())},
                  {"speed", reporter_.images_per_second() > 0
                                ? json_number(std::round(reporter_.images_per_second() * 10) / 10) + " images/s" : "-"},
                  {"device", device_.str() + (t_.bf16 && device_.is_cuda() ? " (bf16)" : "") +
                                 (ranks_ > 1 ? " x " + std::to_string(ranks_) + " ranks" : "")}};
  return write_training_page(run_dir_, info);
}

int Trainer::stop(const std::string& why, int code, const TrainProgress& pos, bool saved) {
  if (!saved)
    if (Status st = save("latest", pos); !st.ok()) return fail(me_, st.error);
  display(DeviceBatch{}, pos, false);
  reporter_.say(why + ": saved " + ckpt_dir_ + "/latest_* at epoch " + std::to_string(pos.epoch) + ", " +
      std::to_string(pos.total_iters) + " images (resume with --continue_train)");
  return code;
}

// One optimisation step on `cur`, then the log record, the training page and the periodic checkpoint.
// Data-parallel, every rank's batch has the same size (the loader pads as DistributedSampler): the step
// counts them all.
Status Trainer::step(const DeviceBatch& cur, TrainProgress& pos, bool epoch_end) {
  const int64_t n = cur.A.size(0) * ranks_;
  torch::manual_seed(step_seed(t_.seed, pos.steps, dp_ ? dp_->rank() : 0));
  if (dp_) dp_->set_step(pos.steps);
  auto t0 = std::chrono::steady_clock::now();
  Losses l;
  try {
    l = model_.optimize(cur.A, cur.B);
  } catch (const std::exception& e) {
    return Status::Fail(dp_ ? dp_->explain_failure(one_line(e)) : one_line(e));
  }
  const double step_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const int64_t before = pos.total_iters;
  pos.epoch_iter += n, pos.epoch_batches++, pos.total_iters += n, pos.steps++;
  pos.train_seconds += cur.seconds + step_s;
  pos.epoch_l1_sum += t_.use_L1 ? l.G_L1 : l.G_GAN, pos.epoch_l1_count++;  // the plateau policy watches G_L1
  reporter_.step(l, cur.seconds, step_s, n);
  auto crossed = [&](int freq) { return before / freq != pos.total_iters / freq; };

  reporter_.report(pos, model_.lr(), crossed(t_.print_freq) || epoch_end);
  if (crossed(t_.display_freq) && !epoch_end)
    if (Status st = display(cur, pos, true); !st.ok()) return st;
  if (crossed(t_.save_latest_freq) && !epoch_end)
    return save(t_.save_by_iter ? "iter_" + std::to_string(pos.total_iters) : "latest", pos);
  return Status::Ok();
}

// An unreadable pair is left out (the same one in every epoch and on resume, as the order is seeded): one
// warning per file, and counted.
void Trainer::note_skips(const Batch& b, TrainProgress& pos) {
  for (const std::string& why : b.skipped) {
    pos.skipped++;
    if (warned_.insert(why).second) reporter_.say("warning: skipped " + why + " (" + std::to_string(pos.skipped) + " skipped so far)");
  }
}

int Trainer::run(TrainProgress pos) {
  const int last = t_.n_epochs + t_.n_epochs_decay;
  if (pos.epoch_done) {
    pos.epoch++;
    pos.epoch_iter = pos.epoch_batches = 0, pos.epoch_done = false, pos.epoch_l1_sum = 0, pos.epoch_l1_count = 0;
  }
  if (pos.epoch > last) {
    reporter_.say("the run is complete (" + std::to_string(last) + " epochs); raise --n_epochs / --n_epochs_decay to train on");
    return 0;
  }
  LoaderOptions lo;
  lo.batch_size = t_.batch_size;
  lo.threads = t_.num_threads;
  lo.shuffle = !t_.serial_batches;
  lo.first_epoch = pos.epoch;
  lo.skip_unreadable = true;
  if (dp_) lo.rank = dp_->rank(), lo.world_size = dp_->size();
  if (t_.balance_colours) {
    std::vector<size_t> counts;
    Result<std::vector<double>> w = colour_balance_weights(data_, &counts);
    if (!w.ok()) return fail(me_, w.error, 2);
    lo.weights = std::move(w.value);
    std::string line = "balance_colours: pairs per colour of target: grey " + std::to_string(counts[0]);
    for (int c = 1; c < kColourClasses; c++)
      if (counts[size_t(c)]) line += ", " + std::to_string(30 * (c - 1)) + " deg " + std::to_string(counts[size_t(c)]);
    reporter_.say(line);
  }
  Loader loader(data_, lo);
  const size_t per_epoch = loader.batches_per_epoch();
  for (int64_t i = 0; i < pos.epoch_batches; i++)  // a mid-epoch resume: the batches already trained on
    if (Batch b = loader.next(); !b.error.empty()) return fail(me_, b.error, 2);
  const size_t epoch_items = loader.items_per_epoch() * size_t(ranks_);
  reporter_.start(last, epoch_items, per_epoch, int64_t(last - pos.epoch + 1) * int64_t(epoch_items) - pos.epoch_iter);

  g_interrupted = false;
  std::signal(SIGINT, on_sigint);
  struct RestoreSignal {
    ~RestoreSignal() { std::signal(SIGINT, SIG_DFL); }
  } restore;

  Result<DeviceBatch> next = fetch(loader);
  if (!next.ok()) return fail(me_, next.error, 2);
  model_.set_lr(schedule_.lr(int(pos.epoch)));
  reporter_.say("epoch " + std::to_string(pos.epoch) + "/" + std::to_string(last) + (pos.epoch_batches ? " from batch " + std::to_string(pos.epoch_batches) : "") +
      ": " + std::to_string(data_.size()) + " pairs, " + std::to_string(per_epoch) + " batches, lr " + json_number(model_.lr()) +
      ", " + device_.str());
  for (;;) {
    DeviceBatch cur = std::move(next.value);
    const bool epoch_end = size_t(pos.epoch_batches + 1) == per_epoch;
    const bool run_end = epoch_end && pos.epoch == last;
    if (cur.A.defined())
      if (Status st = check_size(cur.A); !st.ok()) return fail(me_, st.error, 2);
    if (!run_end) {
      next = fetch(loader);  // the next batch's upload overlaps this step
      if (!next.ok()) return fail(me_, next.error, 2);
    }
    note_skips(cur.host, pos);
    if (!cur.A.defined()) {  // all of it skipped: the batch counts, no step
      pos.epoch_batches++;
      if (epoch_end && pos.epoch_iter == 0)
        return fail(me_, "no pair of epoch " + std::to_string(pos.epoch) + " could be read (" + cur.host.skipped[0] + ")", 2);
      if (epoch_end) reporter_.report(pos, model_.lr(), true);
    } else if (Status st = step(cur, pos, epoch_end); !st.ok()) {
      return fail(me_, st.error);
    }

    if (epoch_end) {
      pos.epoch_done = true;
      if (schedule_.policy == LrPolicy::Plateau && pos.epoch_l1_count) {
        const double metric = pos.epoch_l1_sum / double(pos.epoch_l1_count);
        schedule_.observe(dp_ ? dp_->mean(metric) : metric);  // the same schedule on every rank
      }
      if (t_.bn_stats_batches > 0 && main_)
        if (Status st = recompute_bn_stats(pos.epoch); !st.ok()) return fail(me_, st.error);
      // The epoch's own checkpoint first: latest, saved last, is then also the newest.
      if (pos.epoch % t_.save_epoch_freq == 0 || run_end) {
        if (Status st = save(std::to_string(pos.epoch), pos); !st.ok()) return fail(me_, st.error);
        reporter_.say("saved " + ckpt_dir_ + "/" + std::to_string(pos.epoch) + "_* (epoch " + std::to_string(pos.epoch) + ")");
      }
      if (Status st = save("latest", pos); !st.ok()) return fail(me_, st.error);
      if (Status st = display(cur, pos, !run_end); !st.ok()) return fail(me_, st.error);
      if (run_end) break;
    }
    if (dp_ ? dp_->any(g_interrupted) : bool(g_interrupted)) return stop("interrupted", 130, pos, epoch_end);
    if (t_.stop_after_iters && pos.total_iters >= t_.stop_after_iters)
      return stop("stopped after --stop_after_iters", 0, pos, epoch_end);
    if (epoch_end) {
      pos.epoch++;
      pos.epoch_iter = pos.epoch_batches = 0, pos.epoch_done = false, pos.epoch_l1_sum = 0, pos.epoch_l1_count = 0;
      model_.set_lr(schedule_.lr(int(pos.epoch)));
    }
  }
  reporter_.end_bar();
  reporter_.say("done: " + std::to_string(last) + " epochs, " + std::to_string(pos.total_iters) + " images" +
                (pos.skipped ? " (" + std::to_string(pos.skipped) + " unreadable skipped)" : "") + "; " + run_dir_ + "/index.html");
  return 0;
}

Result<Dataset> open_train_data(const TrainOptions& t) {
  Result<DatasetOptions> d = dataset_options(t);
  if (!d.ok()) return Result<Dataset>::Fail(d.error);
  d.value.input_nc = t.input_nc, d.value.output_nc = t.output_nc, d.value.flip = t.flip, d.value.zoom_out = t.zoom_out;
  d.value.widen_lines = t.widen_lines;
  return Dataset::open(d.value);
}

Result<ObjectiveOptions> objective_options(const TrainOptions& t) {
  Result<GanMode> gan_mode = parse_gan_mode(t.gan_mode);
  if (!gan_mode.ok()) return Result<ObjectiveOptions>::Fail(gan_mode.error);
  ObjectiveOptions obj;
  obj.gan_mode = gan_mode.value, obj.lambda_L1 = t.lambda_L1, obj.lambda_gp = t.lambda_gp, obj.use_GAN = t.use_GAN, obj.use_L1 = t.use_L1;
  obj.condition_GAN = t.condition_GAN, obj.lr = t.lr, obj.beta1 = t.beta1;
  return {obj, ""};
}

Result<LrSchedule> lr_schedule(const TrainOptions& t) {
  Result<LrPolicy> policy = parse_lr_policy(t.lr_policy);
  if (!policy.ok()) return Result<LrSchedule>::Fail(policy.error);
  LrSchedule schedule;
  schedule.policy = policy.value, schedule.base_lr = t.lr_exact(), schedule.n_epochs = t.n_epochs;
  schedule.n_epochs_decay = t.n_epochs_decay, schedule.epoch_count = t.epoch_count, schedule.lr_decay_iters = t.lr_decay_iters;
  return {schedule, ""};
}

// Where the run starts: the checkpoint it resumes (the default, latest, is the newest complete one: an
// iter_N one under --save_by_iter, say), or freshly initialised networks.
Result<TrainProgress> starting_point(const TrainOptions& t, bool epoch_count_given, const std::string& ckpt_dir,
                                     const std::string& newest, Pix2PixModel& model, LrSchedule& schedule) {
  using R = Result<TrainProgress>;
  TrainProgress pos;
  pos.epoch = t.epoch_count;
  if (!t.continue_train) {
    torch::manual_seed(uint64_t(t.seed));
    if (Status st = init_network(model.G, t.init_type, t.init_gain); !st.ok()) return R::Fail(st.error);
    if (model.D)
      if (Status st = init_network(model.D, t.init_type, t.init_gain); !st.ok()) return R::Fail(st.error);
    return {pos, ""};
  }
  const std::string label = t.epoch == "latest" && !newest.empty() ? newest : t.epoch;
  R loaded = load_checkpoint(ckpt_dir, label, model, schedule);
  if (!loaded.ok()) return loaded;
  pos = loaded.value;
  std::printf("resuming from %s/%s: epoch %lld, %lld images\n", ckpt_dir.c_str(), label.c_str(), (long long)pos.epoch,
              (long long)pos.total_iters);
  if (epoch_count_given) {
    // As the reference: epoch K starts afresh from the loaded weights.
    pos.epoch = t.epoch_count, pos.epoch_iter = pos.epoch_batches = 0, pos.epoch_done = false;
    pos.epoch_l1_sum = 0, pos.epoch_l1_count = 0;
  }
  return {pos, ""};
}

// options.json, and log.jsonl emptied for a new run or cut back to the checkpoint for a resumed one.
Status write_run_files(const TrainOptions& t, const TrainProgress& pos) {
  const std::string run_dir = t.run_dir();
  if (Status st = make_dirs(run_dir + "/checkpoints"); !st.ok()) return st;
  if (Status st = write_file_atomic(run_dir + "/options.json", to_json(t).dump(2) + "\n"); !st.ok()) return st;
  return t.continue_train ? trim_log(run_dir + "/log.jsonl", pos.total_iters) : write_file_atomic(run_dir + "/log.jsonl", std::string());
}

// The state every rank starts from: rank 0's weights (fresh or resumed), optimizer states, schedule and position.
void share_training_state(DataParallel& dp, Pix2PixModel& model, LrSchedule& schedule, TrainProgress& pos) {
  std::vector<torch::Tensor> tensors;
  for (const GraphModule* net : {&model.G, &model.D})
    if (*net)
      for (const auto& [name, t] : (*net)->named_weights()) tensors.push_back(t);
  Weights adam;
  model.optG_->save_state(adam, "G.");
  if (model.optD_) model.optD_->save_state(adam, "D.");
  std::vector<torch::Tensor> adam_tensors;
  for (auto& [name, t] : adam) adam_tensors.push_back(to_torch(t).to(model.device));
  torch::Tensor numbers = torch::tensor({double(pos.epoch), double(pos.epoch_iter), double(pos.epoch_batches), double(pos.epoch_done),
                                         double(pos.total_iters), double(pos.steps), pos.epoch_l1_sum, double(pos.epoch_l1_count),
                                         pos.train_seconds, double(pos.skipped), schedule.plateau_best, schedule.plateau_factor,
                                         double(schedule.plateau_bad)}, torch::kDouble);
  tensors.insert(tensors.end(), adam_tensors.begin(), adam_tensors.end());
  tensors.push_back(numbers);
  dp.broadcast(tensors);
  if (dp.main()) return;
  size_t i = 0;
  for (auto& [name, t] : adam) t = from_torch(adam_tensors[i++]);
  model.optG_->load_state(adam, "G.");
  if (model.optD_) model.optD_->load_state(adam, "D.");
  auto v = [&](int k) { return numbers[k].item<double>(); };
  pos.epoch = int64_t(v(0)), pos.epoch_iter = int64_t(v(1)), pos.epoch_batches = int64_t(v(2)), pos.epoch_done = v(3) != 0;
  pos.total_iters = int64_t(v(4)), pos.steps = int64_t(v(5)), pos.epoch_l1_sum = v(6), pos.epoch_l1_count = int64_t(v(7));
  pos.train_seconds = v(8), pos.skipped = int64_t(v(9));
  schedule.plateau_best = v(10), schedule.plateau_factor = v(11), schedule.plateau_bad = int(v(12));
}

// Data-parallel: joins the group when WORLD_SIZE > 1 (null otherwise) and gives every rank rank 0's options.
Result<std::unique_ptr<DataParallel>> join_ranks(TrainOptions& t) {
  using R = Result<std::unique_ptr<DataParallel>>;
  R dp = DataParallel::join_from_environment(std::chrono::seconds(t.dist_timeout));
  if (!dp.ok() || !dp.value) return dp;
  Result<Json> j = parse_json(dp.value->broadcast_text(to_json(t).dump()));
  if (!j.ok()) return R::Fail("rank 0's options: " + j.error);
  if (Status st = from_json(j.value, t); !st.ok()) return R::Fail("rank 0's options: " + st.error);
  return dp;
}

std::string rank_note(const DataParallel& dp, const TrainOptions& t, double lr) {
  return "data-parallel: " + std::to_string(dp.size()) + " ranks x batch " + std::to_string(t.batch_size) + " = effective batch " +
         std::to_string(dp.size() * t.batch_size) + ", lr " + json_number(lr) + " (as given, not scaled)" +
         (t.sync_bn ? ", BatchNorm synchronised" : "");
}

}  // namespace

int cmd_train(const Args& args) {
  bool help = false, epoch_count_given = false;
  Result<TrainOptions> parsed = parse_options(args, help, epoch_count_given);
  if (!parsed.ok()) return fail("train", parsed.error, 2);
  if (help) return 0;
  TrainOptions t = parsed.value;
  if (t.seed < 0) t.seed = int(std::random_device{}() & 0x7fffffff);
  Result<std::unique_ptr<DataParallel>> joined = join_ranks(t);  // the seed too is rank 0's
  if (!joined.ok()) return fail("train", joined.error, 2);
  std::unique_ptr<DataParallel> dp = std::move(joined.value);
  const std::string me = dp ? "train (" + dp->who() + ")" : "train";  // what messages start with
  const bool main = !dp || dp->main();

  std::string note;
  torch::Device device(torch::kCPU);
  if (Status st = select_device(t.gpu_ids, device, note); !st.ok()) return fail(me, st.error, 2);
  if (dp && device.is_cuda()) {  // torchrun's convention: one GPU per rank, by its local rank
    if (dp->local_rank() >= int(torch::cuda::device_count()))
      return fail(me, "LOCAL_RANK " + std::to_string(dp->local_rank()) + " has no GPU (" + std::to_string(torch::cuda::device_count()) + " here)", 2);
    device = torch::Device(torch::kCUDA, torch::DeviceIndex(dp->local_rank()));
  }

  ModelSpec g = generator_spec(t), d = discriminator_spec(t);
  if (Result<Graph> b = build(g); !b.ok()) return fail(me, "--netG: " + b.error, 2);
  if (t.use_GAN)
    if (Result<Graph> b = build(d); !b.ok()) return fail(me, "--netD: " + b.error, 2);
  Result<ObjectiveOptions> objective = objective_options(t);
  if (!objective.ok()) return fail(me, objective.error, 2);
  Result<LrSchedule> initial_schedule = lr_schedule(t);
  if (!initial_schedule.ok()) return fail(me, initial_schedule.error, 2);
  Result<Dataset> data = open_train_data(t);
  if (!data.ok()) return fail(me, data.error, 2);

  // Rank 0 alone reads and writes the run's files; the others get its state below.
  const std::string run_dir = t.run_dir(), ckpt_dir = run_dir + "/checkpoints";
  CheckpointLock lock;  // held to the end: also clears what a killed save left, so only complete checkpoints count
  std::string newest;
  if (main) {
    Result<CheckpointLock> locked = lock_checkpoints(ckpt_dir);
    if (!locked.ok()) return fail(me, locked.error, 2);
    lock = std::move(locked.value);
    newest = newest_checkpoint(ckpt_dir);
    if (!t.continue_train && !newest.empty())
      return fail(me, ckpt_dir + " holds checkpoints already: --continue_train resumes that run, another --name starts a new one", 2);
    if (t.continue_train && newest.empty() && file_exists(run_dir + "/options.json")) {
      std::printf("%s has no complete checkpoint yet (the run stopped before its first save): starting it from the beginning\n",
                  ckpt_dir.c_str());
      t.continue_train = false;
    }
  }

  try {
    Pix2PixModel model(g, d, objective.value, device);
    model.set_bf16(t.bf16 && device.is_cuda());
    LrSchedule schedule = initial_schedule.value;
    TrainProgress pos;
    if (main) {
      Result<TrainProgress> start = starting_point(t, epoch_count_given, ckpt_dir, newest, model, schedule);
      if (!start.ok()) return fail(me, start.error, 2);
      // Everything checked: now the run's files.
      if (Status st = write_run_files(t, start.value); !st.ok()) return fail(me, st.error);
      pos = start.value;
    }
    if (dp) {
      share_training_state(*dp, model, schedule, pos);
      model.share_gradients(*dp, t.sync_bn);
    }
    if (main) {
      if (!note.empty()) std::printf("%s\n", note.c_str());
      if (t.bf16 && !device.is_cuda()) std::printf("--bf16 applies on CUDA only: training in float32\n");
      std::printf("run %s: G %s (%lld parameters), D %s, seed %d\n", run_dir.c_str(), g.describe().c_str(),
                  (long long)count_parameters(model.G->graph()), model.D ? d.describe().c_str() : "none", t.seed);
      if (dp) std::printf("%s\n", rank_note(*dp, t, t.lr_exact()).c_str());
      if (t.sync_bn && !dp) std::printf("--sync_bn applies when several ranks train (scripts/launch): one process here\n");
    }
    Trainer trainer(t, device, data.value, model, schedule, dp.get(), me);
    return trainer.run(pos);
  } catch (const std::exception& e) {
    return fail(me, dp ? dp->explain_failure(one_line(e)) : one_line(e));
  }
}

}  // namespace p2p
