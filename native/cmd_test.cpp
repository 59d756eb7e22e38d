// pix2pix test: a run's generator on a dataset phase, as the reference's test.py: results/NAME/<phase>_<epoch>/
// with index.html (real_A, fake_B, real_B rows) and metrics.json (L1, PSNR, SSIM, Lab histogram intersection).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "native/commands.h"
#include "native/dataset.h"
#include "native/device_select.h"
#include "native/metrics.h"
#include "native/model_file.h"
#include "native/options.h"
#include "native/results_page.h"
#include "native/spec_options.h"
#include "native/torch_graph.h"
#include "native/train_checkpoint.h"
#include "native/train_options.h"
#include "shared/file_io.h"

namespace p2p {

namespace {

struct TestOptions {
  std::string dataroot, name = "experiment_name", checkpoints_dir = "runs", phase = "test", epoch = "latest";
  std::string results_dir = "results", layout = "auto", direction = "AtoB", preprocess = "resize_and_crop";
  std::string gpu_ids = "0";
  int num_test = 50, load_size = 0, crop_size = 256, num_threads = 4, seed = 0, max_dataset_size = 0;
  float aspect_ratio = 1.0f;
  bool eval = false;
  // The reference test.py's architecture options: taken as they are, refused only where they contradict
  // the checkpoint. --no_dropout runs without dropout noise, as the reference's network built without it.
  SpecFlags arch;
  std::string model = "pix2pix";
  std::vector<std::string> arch_given;  // the architecture options on the command line
};

void add_test_options(Options& o, TestOptions& t) {
  o.text("dataroot", &t.dataroot, "DIR", "dataset root (as for train)", {"DATA_ROOT"});
  o.text("name", &t.name, "NAME", "the run: checkpoints_dir/NAME/checkpoints/<epoch>_net_G.safetensors");
  o.text("checkpoints_dir", &t.checkpoints_dir, "DIR", "where runs are kept");
  o.text("epoch", &t.epoch, "LABEL", "which checkpoint: latest or an epoch number", {"which_epoch"});
  o.text("phase", &t.phase, "NAME", "the dataset subfolder to test on");
  o.text("results_dir", &t.results_dir, "DIR", "pages go to DIR/NAME/<phase>_<epoch>/");
  o.integer("num_test", &t.num_test, "test the first N pairs", {"how_many"});
  o.flag("eval", &t.eval, "running statistics and no dropout (default: the reference protocol, each image's own "
                          "statistics and dropout as seeded noise)");
  o.integer("load_size", &t.load_size, "scale images to this size (0: crop_size; a model trained at 256 runs at 512 "
                                       "too, and crop_size then follows)", {"loadSize"});
  o.integer("crop_size", &t.crop_size, "crop size (the run's, when it recorded options.json)", {"fineSize"});
  o.choice("preprocess", &t.preprocess, preprocess_names(),
           "scaling and cropping (the run's, when recorded)");
  o.choice("direction", &t.direction, {"AtoB", "BtoA"}, "which side is the input (the run's, when recorded)", {"which_direction"});
  o.choice("layout", &t.layout, {"auto", "aligned", "separate"}, "dataset layout", {"dataset_mode"});
  o.real("aspect_ratio", &t.aspect_ratio, "saved images are resized to this width / height ratio");
  o.text("gpu_ids", &t.gpu_ids, "IDS", "GPU id (-1: the CPU; the CPU anyway without CUDA)");
  o.integer("seed", &t.seed, "seed of the dropout noise and of any crop");
  o.integer("num_threads", &t.num_threads, "threads loading data", {"nThreads"});
  o.integer("max_dataset_size", &t.max_dataset_size, "use at most this many pairs (0: all)");
  add_spec_options(o, t.arch);
  o.choice("model", &t.model, {"pix2pix", "test"}, "the reference's model name (a pix2pix generator either way)");
}

// Where an architecture option given to test says otherwise than the checkpoint: one line naming both.
Status check_arch_options(const TestOptions& t, const ModelSpec& spec, const std::string& path) {
  ModelSpec want = generator_spec(t.arch);
  if (want.net == "unet") want.net = "unet_256";  // the Lua reference's name
  for (const std::string& k : t.arch_given) {
    bool same = true;
    std::string value;
    if (k == "netG") same = want.net == spec.net, value = t.arch.netG;
    else if (k == "ngf") same = want.ngf == spec.ngf, value = std::to_string(t.arch.ngf);
    else if (k == "norm") same = want.norm == spec.norm, value = t.arch.norm;
    else if (k == "input_nc") same = want.input_nc == spec.input_nc, value = std::to_string(t.arch.input_nc);
    else if (k == "output_nc") same = want.output_nc == spec.output_nc, value = std::to_string(t.arch.output_nc);
    if (!same) return Status::Fail("--" + k + " " + value + " contradicts " + path + " (" + spec.describe() + ")");
  }
  return Status::Ok();
}

// The run's own data options (options.json) become the defaults.
Status apply_run_options(TestOptions& t) {
  const std::string path = t.checkpoints_dir + "/" + t.name + "/options.json";
  if (!file_exists(path)) return Status::Ok();
  Result<Json> j = read_json_file(path);
  if (!j.ok()) return Status::Fail(j.error);
  TrainOptions run;
  if (Status st = from_json(j.value, run); !st.ok()) return Status::Fail(path + ": " + st.error);
  t.dataroot = run.dataroot, t.layout = run.layout, t.direction = run.direction, t.preprocess = run.preprocess;
  t.crop_size = run.crop_size;
  return Status::Ok();
}

Image with_aspect(const Image& img, float ratio) {
  if (ratio > 1.0f) return resize_bicubic(img, int(float(img.width) * ratio), img.height);
  if (ratio < 1.0f) return resize_bicubic(img, img.width, int(float(img.height) / ratio));
  return img;
}

// The command line over the run's recorded options, checked; `help` when --help was asked (and printed).
Result<TestOptions> read_test_options(const Args& args, bool& help) {
  using R = Result<TestOptions>;
  bool load_given = false, crop_given = false;
  auto parse = [&](TestOptions& into) -> Status {
    Options o("test", "Run a trained generator on a dataset phase: an HTML page of results and metrics.json.");
    add_test_options(o, into);
    if (Status st = o.parse_env(); !st.ok()) return st;
    if (Status st = o.parse(args); !st.ok()) return st;
    if (o.help_requested() && !help) std::printf("%s", o.help().c_str()), help = true;
    load_given = o.given("load_size"), crop_given = o.given("crop_size");
    into.arch_given.clear();
    for (const char* k : {"netG", "ngf", "norm", "input_nc", "output_nc"})
      if (o.given(k)) into.arch_given.push_back(k);
    return Status::Ok();
  };
  TestOptions given;
  if (Status st = parse(given); !st.ok() || help) return R::Fail(st.error);
  TestOptions t;  // again, over the run's options
  t.name = given.name, t.checkpoints_dir = given.checkpoints_dir;
  if (Status st = apply_run_options(t); !st.ok()) return R::Fail(st.error);
  if (Status st = parse(t); !st.ok()) return R::Fail(st.error);
  if (!load_given) t.load_size = t.crop_size;
  else if (!crop_given) t.crop_size = t.load_size;
  if (t.dataroot.empty()) return R::Fail("--dataroot is required (or DATA_ROOT=...)");
  if (t.num_test < 1 || t.load_size < 1 || t.crop_size < 1 || !(t.aspect_ratio > 0) || t.max_dataset_size < 0)
    return R::Fail("--num_test, --load_size, --crop_size and --aspect_ratio must be positive");
  return {t, ""};
}

Result<Dataset> open_test_data(const TestOptions& t, const ModelSpec& spec) {
  Result<DatasetOptions> d = dataset_options(t);
  if (!d.ok()) return Result<Dataset>::Fail(d.error);
  d.value.input_nc = spec.input_nc, d.value.output_nc = spec.output_nc, d.value.flip = false;
  return Dataset::open(d.value);
}

// What the images gave: a row of the page each, the metrics, and the time in the network.
struct TestRun {
  std::vector<ResultRow> rows;
  MetricsAccumulator metrics;
  double seconds = 0;
};

// The first `count` pairs through the network, their images saved under dir; 0, or fail()'s exit code.
int run_test_images(const TestOptions& t, const std::string& model_path, const ModelFile& m, const SizeRule& rule,
                    const Dataset& data, size_t count, bool dropout, torch::Device device, const std::string& dir,
                    TestRun& run) {
  GraphModule net(m.graph);
  if (Status st = net->load_weights(m.weights); !st.ok()) return fail("test", model_path + ": " + st.error, 2);
  net->to(device);
  torch::NoGradGuard no_grad;
  LoaderOptions lo;
  lo.shuffle = false;
  lo.threads = std::max(1, t.num_threads);
  Loader loader(data, lo);
  for (size_t i = 0; i < count; i++) {
    Batch b = loader.next();
    if (!b.error.empty()) return fail("test", b.error, 2);
    RunMode mode = RunMode::eval(t.eval ? NormMode::Running : default_norm_mode(m.spec));
    mode.dropout_noise = dropout;
    mode.dropout_seed = int64_t(t.seed) + int64_t(i);
    net->set_mode(mode);
    const int64_t h = b.a.shape[2], w = b.a.shape[3];
    // Fully convolutional: sizes the network cannot take are reflect-padded and the output cropped back.
    Tensor in = pad_to_fit(b.a, rule);
    if (Result<ShapeInfo> s = infer_shapes(m.graph, in.shape[2], in.shape[3]); !s.ok())
      return fail("test", b.a_paths[0] + ": " + s.error, 2);
    auto t0 = std::chrono::steady_clock::now();
    torch::Tensor out = net->forward(to_torch(in).to(device));
    Tensor fake = crop_tensor(from_torch(out), h, w);
    run.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Image real_a = tensor_to_image(b.a), fake_b = tensor_to_image(fake), real_b = tensor_to_image(b.b);
    ImageMetrics im = run.metrics.add(fake_b, real_b);
    Result<ResultRow> row = save_result_images(dir, b.names[0], with_aspect(real_a, t.aspect_ratio),
                                               with_aspect(fake_b, t.aspect_ratio), with_aspect(real_b, t.aspect_ratio));
    if (!row.ok()) return fail("test", row.error);
    row.value.has_metrics = true;
    row.value.metrics = im;
    run.rows.push_back(std::move(row.value));
  }
  return 0;
}

TestPageInfo test_page_info(const TestOptions& t, const std::string& model_path, const ModelSpec& spec, size_t count,
                            size_t pairs, bool dropout, double seconds, const torch::Device& device) {
  TestPageInfo info;
  info.title = t.name + ", " + t.phase + ", epoch " + t.epoch;
  info.details = {{"model", model_path + " (" + spec.describe() + ")"},
                  {"dataset", t.dataroot + " (" + t.phase + ", " + t.direction + ", " + std::to_string(count) + " of " +
                                  std::to_string(pairs) + " pairs)"},
                  {"protocol", t.eval ? "--eval: running statistics, no dropout"
                               : !dropout ? "reference: each image's own statistics, no dropout (--no_dropout or none in the network)"
                                      : "reference: each image's own statistics, dropout as noise (seed " + std::to_string(t.seed) + ")"},
                  {"preprocess", t.preprocess + " load_size " + std::to_string(t.load_size) + " crop_size " + std::to_string(t.crop_size)},
                  {"time", json_number(std::round(seconds / double(std::max<size_t>(1, count)) * 1e4) / 10) + " ms per image on " +
                               device.str()}};
  return info;
}

}  // namespace

int cmd_test(const Args& args) {
  bool help = false;
  Result<TestOptions> options = read_test_options(args, help);
  if (help) return 0;
  if (!options.ok()) return fail("test", options.error, 2);
  const TestOptions& t = options.value;
  std::string note;
  torch::Device device(torch::kCPU);
  if (Status st = select_device(t.gpu_ids, device, note); !st.ok()) return fail("test", st.error, 2);

  const std::string model_path = checkpoint_path(t.checkpoints_dir + "/" + t.name + "/checkpoints", t.epoch, "net_G");
  if (!file_exists(model_path)) return fail("test", "no checkpoint " + model_path + " (train first, or pick --epoch)", 2);
  Result<ModelFile> m = load_model_file(model_path);
  if (!m.ok()) return fail("test", m.error, 2);
  const ModelSpec& spec = m.value.spec;
  if (spec.arch != Arch::Generator) return fail("test", model_path + " holds " + spec.describe() + ", not a generator", 2);
  if (Status st = check_arch_options(t, spec, model_path); !st.ok()) return fail("test", st.error, 2);
  const SizeRule rule = valid_sizes(m.value.graph);
  if (rule.multiple == 0) return fail("test", spec.describe() + " takes no input size up to 4096", 2);
  const bool dropout = !t.eval && spec.dropout && t.arch.dropout;
  Result<Dataset> data = open_test_data(t, spec);
  if (!data.ok()) return fail("test", data.error, 2);

  const std::string dir = t.results_dir + "/" + t.name + "/" + t.phase + "_" + t.epoch;
  const size_t count = std::min(data.value.size(), size_t(t.num_test));
  if (!note.empty()) std::printf("%s\n", note.c_str());
  TestRun run;
  try {
    if (int code = run_test_images(t, model_path, m.value, rule, data.value, count, dropout, device, dir, run)) return code;
  } catch (const std::exception& e) {
    return fail("test", one_line(e));
  }
  MetricsSummary summary = run.metrics.summary();
  TestPageInfo info = test_page_info(t, model_path, spec, count, data.value.size(), dropout, run.seconds, device);
  if (Status st = write_test_page(dir, info, run.rows, &summary); !st.ok()) return fail("test", st.error);
  std::printf("%zu images: L1 %.4f  PSNR %s dB  SSIM %.4f  Lab intersection %.3f/%.3f/%.3f -> %s/index.html\n", count,
              summary.l1, format_psnr(summary.psnr).c_str(), summary.ssim, summary.lab_set[0], summary.lab_set[1],
              summary.lab_set[2], dir.c_str());
  return 0;
}

}  // namespace p2p
