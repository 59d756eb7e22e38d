// The train option table, written once as visit() and read by three visitors: the command-line / environment
// parser, the options.json writer and its reader.
#include "native/train_options.h"

#include <charconv>
#include <cstdlib>
#include <set>

#include "native/dataset.h"
#include "native/lr_schedule.h"
#include "native/pix2pix_model.h"

namespace p2p {

namespace {

using Env = std::vector<std::string>;

// The one table. V has text, choice, integer, real and flag members taking (name, field, [choices], help, env).
template <class V>
void visit(TrainOptions& t, V& v) {
  // data
  v.text("dataroot", t.dataroot, "DIR", "dataset root: DIR/train/*.png (A|B side by side) or DIR/A/train + DIR/B/train", Env{"DATA_ROOT"});
  v.text("name", t.name, "NAME", "the run: its files go to checkpoints_dir/NAME", Env{});
  v.text("checkpoints_dir", t.checkpoints_dir, "DIR", "where runs are kept", Env{});
  v.text("phase", t.phase, "NAME", "the dataset subfolder to train on", Env{});
  v.choice("layout", t.layout, {"auto", "aligned", "separate"}, "dataset layout: A|B images, or A/ and B/ folders (auto: whichever exists)", Env{"dataset_mode"});
  v.choice("direction", t.direction, {"AtoB", "BtoA"}, "which side of the pairs is the input", Env{"which_direction"});
  v.choice("preprocess", t.preprocess, preprocess_names(), "scaling and cropping at load time", Env{});
  v.integer("load_size", t.load_size, "scale images to this size", Env{"loadSize"});
  v.integer("crop_size", t.crop_size, "then crop to this size", Env{"fineSize"});
  v.flag("flip", t.flip, "random horizontal flips (--no_flip turns them off)", Env{});
  v.real("zoom_out", t.zoom_out, "shrink each pair by a random factor in [this, 1] onto white, at a random place (drawings on paper; 1: off)", Env{});
  v.integer("widen_lines", t.widen_lines, "draw the input's dark lines a random 0..N px wider (a minimum filter): sketches drawn with wider pens than the edges (0: off)", Env{});
  v.flag("balance_colours", t.balance_colours, "draw each epoch's pairs with replacement, each colour of target 1/sqrt(its pairs) as often (a colour with 4x the pairs 2x as often)", Env{});
  v.integer("batch_size", t.batch_size, "images per step", Env{"batchSize"});
  v.flag("serial_batches", t.serial_batches, "take images in order instead of shuffled", Env{});
  v.integer("num_threads", t.num_threads, "threads loading data", Env{"nThreads"});
  v.integer("max_dataset_size", t.max_dataset_size, "use at most this many pairs (0: all)", Env{"ntrain"});
  // networks
  v.text("netG", t.netG, "NAME", "generator: unet_256, unet_128, unet_<2^k>, resnet_9blocks, resnet_6blocks", Env{"which_model_netG"});
  v.choice("netD", t.netD, {"basic", "n_layers", "pixel"}, "discriminator: 70x70 PatchGAN, n_layers_D PatchGAN, 1x1 PixelGAN", Env{"which_model_netD"});
  v.integer("n_layers_D", t.n_layers_D, "discriminator depth with --netD n_layers", Env{});
  v.integer("ngf", t.ngf, "generator filters in the last conv layer", Env{});
  v.integer("ndf", t.ndf, "discriminator filters in the first conv layer", Env{});
  v.choice("norm", t.norm, {"batch", "instance", "none"}, "normalisation layers", Env{});
  v.choice("init_type", t.init_type, {"normal", "xavier", "kaiming", "orthogonal"}, "weight initialisation", Env{});
  v.real("init_gain", t.init_gain, "scale of normal, xavier and orthogonal initialisation", Env{});
  v.flag("dropout", t.dropout, "dropout in the generator (--no_dropout turns it off)", Env{});
  v.integer("input_nc", t.input_nc, "input channels (1 for grayscale)", Env{});
  v.integer("output_nc", t.output_nc, "output channels (1 for grayscale)", Env{});
  // objective
  v.choice("gan_mode", t.gan_mode, gan_mode_names(), "GAN objective", Env{});
  v.real("lambda_L1", t.lambda_L1, "weight of the L1 term", Env{"lambda"});
  v.real("lambda_gp", t.lambda_gp, "wgangp: gradient penalty weight (the reference pix2pix applies none; WGAN-GP uses 10)", Env{});
  v.flag("use_GAN", t.use_GAN, "train with the GAN term (--no_use_GAN: L1 alone)", Env{});
  v.flag("use_L1", t.use_L1, "train with the L1 term", Env{});
  v.flag("condition_GAN", t.condition_GAN, "the discriminator sees the input too (cGAN)", Env{});
  // optimisation and schedule
  v.real("lr", t.lr, "Adam learning rate", Env{});
  v.real("beta1", t.beta1, "Adam beta1", Env{});
  v.choice("lr_policy", t.lr_policy, lr_policy_names(), "learning-rate schedule (linear: the reference's, 0 in the last epoch; linear_nonzero: the full rate through n_epochs, then down to 1/(n_epochs_decay+1) of it)", Env{});
  v.integer("n_epochs", t.n_epochs, "epochs at the starting learning rate", Env{"niter"});
  v.integer("n_epochs_decay", t.n_epochs_decay, "epochs of linear decay (to zero with lr_policy linear)", Env{"niter_decay"});
  v.integer("lr_decay_iters", t.lr_decay_iters, "step policy: multiply by 0.1 every this many epochs", Env{});
  v.integer("epoch_count", t.epoch_count, "the first epoch's number (with --continue_train: start that epoch from the loaded weights)", Env{});
  // the run
  v.text("gpu_ids", t.gpu_ids, "IDS", "GPU ids, e.g. 0 (the first is used); -1 for the CPU; the CPU anyway without CUDA", Env{});
  v.flag("bf16", t.bf16, "bfloat16 mixed precision (CUDA autocast)", Env{});
  v.integer("seed", t.seed, "random seed (-1: drawn and recorded); the same seed repeats a CPU run exactly", Env{});
  v.flag("continue_train", t.continue_train, "resume the run from its checkpoint (--epoch)", Env{});
  v.text("epoch", t.epoch, "LABEL", "checkpoint to resume from: latest (the newest complete one) or an epoch number", Env{"which_epoch"});
  v.integer("print_freq", t.print_freq, "log losses every this many images", Env{});
  v.integer("display_freq", t.display_freq, "update the training page every this many images", Env{});
  v.integer("save_latest_freq", t.save_latest_freq, "save the latest checkpoint every this many images", Env{});
  v.integer("save_epoch_freq", t.save_epoch_freq, "keep a checkpoint every this many epochs", Env{});
  v.integer("bn_stats_batches", t.bn_stats_batches, "at each epoch's end, the generator's BatchNorm running statistics become the mean over this many training batches, dropout off, as it runs at test time (0: the momentum average of the last batches)", Env{});
  v.flag("save_by_iter", t.save_by_iter, "label the periodic checkpoints iter_<N> instead of latest", Env{});
  v.integer("stop_after_iters", t.stop_after_iters, "stop (saving latest) when total_iters reaches this; 0: run to the end", Env{});
  // data-parallel, processes started as torchrun starts them (scripts/launch -n N)
  v.flag("sync_bn", t.sync_bn, "data-parallel: BatchNorm statistics over every rank's batch", Env{});
  v.integer("dist_timeout", t.dist_timeout, "data-parallel: seconds to wait for the other ranks before stopping", Env{});
}

struct Binder {
  Options& o;
  void text(const char* n, std::string& f, const char* hint, const char* help, Env env) { o.text(n, &f, hint, help, std::move(env)); }
  void choice(const char* n, std::string& f, std::vector<std::string> c, const char* help, Env env) {
    o.choice(n, &f, std::move(c), help, std::move(env));
  }
  void integer(const char* n, int& f, const char* help, Env env) { o.integer(n, &f, help, std::move(env)); }
  void real(const char* n, float& f, const char* help, Env env) { o.real(n, &f, help, std::move(env)); }
  void flag(const char* n, bool& f, const char* help, Env env) { o.flag(n, &f, help, std::move(env)); }
};

const std::set<std::string> kNotSaved = {"continue_train", "epoch", "stop_after_iters", "dist_timeout"};

struct Writer {
  Json j = Json::object();
  void put(const char* n, Json v) {
    if (!kNotSaved.count(n)) j[n] = std::move(v);
  }
  void text(const char* n, std::string& f, const char*, const char*, Env) { put(n, f); }
  void choice(const char* n, std::string& f, std::vector<std::string>, const char*, Env) { put(n, f); }
  void integer(const char* n, int& f, const char*, Env) { put(n, f); }
  void real(const char* n, float& f, const char*, Env) { put(n, double(f)); }
  void flag(const char* n, bool& f, const char*, Env) { put(n, f); }
};

struct Reader {
  const Json& j;
  std::string error;
  const Json* get(const char* n, bool ok(const Json&), const char* what) {
    const Json* v = j.find(n);
    if (!v || !error.empty() || kNotSaved.count(n)) return nullptr;
    if (!ok(*v)) {
      error = std::string("option '") + n + "' should be " + what;
      return nullptr;
    }
    return v;
  }
  static bool is_str(const Json& v) { return v.is_string(); }
  static bool is_num(const Json& v) { return v.is_number(); }
  static bool is_int(const Json& v) { return v.is_number() && double(int(v.as_number())) == v.as_number(); }
  static bool is_bool(const Json& v) { return v.is_bool(); }
  void text(const char* n, std::string& f, const char*, const char*, Env) {
    if (const Json* v = get(n, is_str, "a string")) f = v->as_string();
  }
  void choice(const char* n, std::string& f, std::vector<std::string> c, const char*, Env) {
    const Json* v = get(n, is_str, "a string");
    if (!v) return;
    for (const std::string& x : c)
      if (x == v->as_string()) return void(f = x);
    error = std::string("option '") + n + "' has the unknown value '" + v->as_string() + "'";
  }
  void integer(const char* n, int& f, const char*, Env) {
    if (const Json* v = get(n, is_int, "an integer")) f = int(v->as_number());
  }
  void real(const char* n, float& f, const char*, Env) {
    if (const Json* v = get(n, is_num, "a number")) f = float(v->as_number());
  }
  void flag(const char* n, bool& f, const char*, Env) {
    if (const Json* v = get(n, is_bool, "true or false")) f = v->as_bool();
  }
};

}  // namespace

double TrainOptions::lr_exact() const {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf - 1, lr);  // the shortest text that reads back to this float
  *r.ptr = 0;
  return std::strtod(buf, nullptr);
}

SpecFlags TrainOptions::spec_flags() const {
  SpecFlags f;
  f.netG = netG, f.netD = netD, f.norm = norm;
  f.ngf = ngf, f.ndf = ndf, f.n_layers_D = n_layers_D, f.input_nc = input_nc, f.output_nc = output_nc;
  f.dropout = dropout;
  return f;
}

void add_train_options(Options& o, TrainOptions& t) {
  Binder b{o};
  visit(t, b);
}

void apply_lua_gpu_env(TrainOptions& t, bool gpu_ids_given) {
  const char* gpu = std::getenv("gpu");
  if (!gpu || gpu_ids_given) return;
  char* end = nullptr;
  long g = std::strtol(gpu, &end, 10);
  if (*gpu && !*end) t.gpu_ids = g <= 0 ? "-1" : std::to_string(g - 1);
}

Status validate(TrainOptions& t) {
  if (t.netG == "unet") t.netG = "unet_256";  // the Lua reference's name
  if (t.dataroot.empty()) return Status::Fail("--dataroot is required (or DATA_ROOT=...)");
  if (t.name.empty() || t.name.find('/') != std::string::npos || t.name == "." || t.name == "..")
    return Status::Fail("--name must be a plain folder name, got '" + t.name + "'");
  auto positive = [](const char* n, int v) {
    return v >= 1 ? Status::Ok() : Status::Fail(std::string("--") + n + " must be at least 1, got " + std::to_string(v));
  };
  for (auto [n, v] : {std::pair<const char*, int>{"load_size", t.load_size}, {"crop_size", t.crop_size},
                      {"batch_size", t.batch_size}, {"num_threads", t.num_threads}, {"print_freq", t.print_freq},
                      {"display_freq", t.display_freq}, {"save_latest_freq", t.save_latest_freq},
                      {"save_epoch_freq", t.save_epoch_freq}, {"epoch_count", t.epoch_count},
                      {"lr_decay_iters", t.lr_decay_iters}, {"dist_timeout", t.dist_timeout}})
    if (Status st = positive(n, v); !st.ok()) return st;
  if (t.n_epochs < 0 || t.n_epochs_decay < 0 || t.n_epochs + t.n_epochs_decay < 1)
    return Status::Fail("--n_epochs and --n_epochs_decay must be >= 0 and give at least one epoch");
  Result<LrPolicy> policy = parse_lr_policy(t.lr_policy);
  if (!policy.ok()) return Status::Fail(policy.error);
  if (policy.value == LrPolicy::Cosine && t.n_epochs < 1) return Status::Fail("--lr_policy cosine needs --n_epochs of at least 1");
  if (t.max_dataset_size < 0 || t.stop_after_iters < 0 || t.bn_stats_batches < 0)
    return Status::Fail("--max_dataset_size, --stop_after_iters and --bn_stats_batches must be >= 0");
  if (!(t.lr > 0) || !(t.beta1 >= 0 && t.beta1 < 1) || !(t.init_gain >= 0) || !(t.lambda_L1 >= 0) || !(t.lambda_gp >= 0))
    return Status::Fail("--lr must be > 0, --beta1 in [0, 1), --init_gain, --lambda_L1 and --lambda_gp >= 0");
  if (!(t.zoom_out > 0 && t.zoom_out <= 1)) return Status::Fail("--zoom_out must be in (0, 1]");
  if (t.widen_lines < 0 || t.widen_lines > 16) return Status::Fail("--widen_lines must be between 0 and 16");
  if (t.balance_colours && t.serial_batches) return Status::Fail("--balance_colours draws the pairs at random: not with --serial_batches");
  if (!t.use_GAN && !t.use_L1) return Status::Fail("--no_use_GAN with --no_use_L1 leaves nothing to train");
  if ((t.input_nc != 1 && t.input_nc != 3) || (t.output_nc != 1 && t.output_nc != 3))
    return Status::Fail("--input_nc and --output_nc must be 1 or 3");
  if (t.epoch.empty() || t.epoch.find('/') != std::string::npos) return Status::Fail("--epoch must be latest or an epoch number");
  return Status::Ok();
}

Json to_json(const TrainOptions& t) {
  TrainOptions copy = t;
  Writer w;
  visit(copy, w);
  return std::move(w.j);
}

Status from_json(const Json& j, TrainOptions& t) {
  if (!j.is_object()) return Status::Fail("options are not a JSON object");
  Reader r{j, ""};
  visit(t, r);
  return r.error.empty() ? Status::Ok() : Status::Fail(r.error);
}

ModelSpec generator_spec(const TrainOptions& t) { return generator_spec(t.spec_flags()); }

ModelSpec discriminator_spec(const TrainOptions& t) {
  return discriminator_for(generator_spec(t), t.netD, t.ndf, t.n_layers_D, t.condition_GAN);
}

}  // namespace p2p
