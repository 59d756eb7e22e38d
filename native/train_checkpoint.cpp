// Checkpoint files of a training run and the reference's weight initialisation.
#include "native/train_checkpoint.h"

#include <torch/torch.h>

#include <cmath>
#include <cstdlib>

#include "shared/file_io.h"
#include "shared/json.h"
#include "shared/safetensors.h"

namespace p2p {

Status init_network(GraphModule& net, const std::string& init_type, float gain) {
  torch::NoGradGuard no_grad;
  const Graph& g = net->graph();
  const std::vector<Param> params = parameters(g);
  const auto& named = net->named_weights();
  if (params.size() != named.size()) return Status::Fail("init: the module does not match its graph");
  for (size_t i = 0; i < params.size(); i++) {
    const Param& p = params[i];
    const Op op = g.nodes[size_t(p.node)].op;
    torch::Tensor t = torch::zeros(p.shape);
    if (p.kind == ParamKind::RunningVar) {
      t.fill_(1.0);
    } else if (p.kind == ParamKind::Weight && (op == Op::Conv2d || op == Op::ConvTranspose2d)) {
      if (init_type == "normal") t.normal_(0.0, gain);
      else if (init_type == "xavier") torch::nn::init::xavier_normal_(t, gain);
      else if (init_type == "kaiming") torch::nn::init::kaiming_normal_(t, 0.0, torch::kFanIn);
      else if (init_type == "orthogonal") torch::nn::init::orthogonal_(t, gain);
      else return Status::Fail("unknown init_type '" + init_type + "' (normal, xavier, kaiming, orthogonal)");
    } else if (p.kind == ParamKind::Weight && op == Op::BatchNorm2d) {
      t.normal_(1.0, gain);
    } else if (p.kind == ParamKind::Weight) {
      t.fill_(1.0);  // other affine norms keep PyTorch's own defaults, as the reference's init_func leaves them
    }
    named[i].second.copy_(t);
  }
  return Status::Ok();
}

namespace {

using Meta = std::map<std::string, std::string>;

void put_position(Meta& m, const TrainProgress& p) {
  m["epoch"] = std::to_string(p.epoch);
  m["epoch_iter"] = std::to_string(p.epoch_iter);
  m["total_iters"] = std::to_string(p.total_iters);
}

std::string position_text(const Meta& m) {
  auto get = [&](const char* k) {
    auto it = m.find(k);
    return it == m.end() ? std::string("?") : it->second;
  };
  return "epoch " + get("epoch") + " iter " + get("epoch_iter") + " total " + get("total_iters");
}

bool read_int(const Meta& m, const char* key, int64_t& out) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return false;
  char* end = nullptr;
  long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (*end) return false;
  out = v;
  return true;
}

bool read_double(const Meta& m, const char* key, double& out) {
  auto it = m.find(key);
  if (it == m.end() || it->second.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(it->second.c_str(), &end);
  if (*end) return false;
  out = v;
  return true;
}

// The spec stored in a network file must be the one the options describe. Dropout holds no weights, so a run
// may go on with it turned off or on (fine-tuning without the noise the network will run without).
Status same_architecture(const std::string& path, const SafetensorsFile& f, const ModelSpec& want) {
  Result<ModelSpec> got = ModelSpec::from_metadata(f.metadata);
  if (!got.ok()) return Status::Fail(path + ": " + got.error);
  ModelSpec stored = got.value;
  stored.dropout = want.dropout;
  if (stored.to_metadata() != want.to_metadata())
    return Status::Fail(path + " holds " + got.value.describe() + " but the options describe " + want.describe() +
                        " (resume with the run's own options, or train a new --name)");
  return Status::Ok();
}

}  // namespace

Status save_checkpoint(const std::string& dir, const std::string& label, const Pix2PixModel& model,
                       const LrSchedule& schedule, const TrainProgress& p, const Meta& g_metadata,
                       const std::string& options_json) {
  std::vector<CheckpointPart> parts;
  Meta gm = g_metadata;
  for (const auto& [k, v] : model.g_spec.to_metadata()) gm[k] = v;
  put_position(gm, p);
  gm["train_seconds"] = json_number(std::round(p.train_seconds));
  parts.push_back({"net_G", model.G->to_weights(), gm});
  if (model.D) {
    Meta dm = model.d_spec.to_metadata();
    put_position(dm, p);
    parts.push_back({"net_D", model.D->to_weights(), dm});
  }
  Weights state;
  model.optG_->save_state(state, "G.");
  if (model.optD_) model.optD_->save_state(state, "D.");
  Meta sm;
  put_position(sm, p);
  sm["epoch_batches"] = std::to_string(p.epoch_batches);
  sm["epoch_done"] = p.epoch_done ? "1" : "0";
  sm["steps"] = std::to_string(p.steps);
  sm["epoch_l1_sum"] = json_number(p.epoch_l1_sum);
  sm["epoch_l1_count"] = std::to_string(p.epoch_l1_count);
  sm["train_seconds"] = json_number(p.train_seconds);
  sm["skipped"] = std::to_string(p.skipped);
  sm["plateau_best"] = json_number(schedule.plateau_best);
  sm["plateau_factor"] = json_number(schedule.plateau_factor);
  sm["plateau_bad"] = std::to_string(schedule.plateau_bad);
  sm["lr"] = json_number(model.lr());
  sm["options"] = options_json;
  parts.push_back({"state", std::move(state), sm});
  return save_checkpoint_parts(dir, label, parts);
}

Result<TrainProgress> load_checkpoint(const std::string& dir, const std::string& label, Pix2PixModel& model,
                                      LrSchedule& schedule) {
  using R = Result<TrainProgress>;
  Result<CheckpointFiles> files = find_checkpoint(dir, label);
  if (!files.ok()) return R::Fail("cannot resume: " + files.error);
  const std::string gp = files.value.part("net_G"), dp = files.value.part("net_D"), sp = files.value.part("state");
  // Messages name the stable paths (<label>_net_G.safetensors, ...), the ones a user knows.
  const std::string gn = checkpoint_path(dir, label, "net_G"), dn = checkpoint_path(dir, label, "net_D"),
                    sn = checkpoint_path(dir, label, "state");
  if (!file_exists(gp)) return R::Fail("cannot resume: " + gp + " does not exist");
  if (model.D && !file_exists(dp)) return R::Fail("cannot resume: " + dp + " does not exist (the run trained without a GAN?)");
  Result<SafetensorsFile> g = load_safetensors(gp);
  if (!g.ok()) return R::Fail(g.error);
  Result<SafetensorsFile> d;
  if (model.D) {
    d = load_safetensors(dp);
    if (!d.ok()) return R::Fail(d.error);
  }
  Result<SafetensorsFile> s = load_safetensors(sp);
  if (!s.ok()) return R::Fail(s.error);

  // A save interrupted between files leaves them at different positions.
  const std::string where = position_text(s.value.metadata);
  if (position_text(g.value.metadata) != where || (model.D && position_text(d.value.metadata) != where))
    return R::Fail("cannot resume: " + dir + "/" + label + "_* disagree (G at " + position_text(g.value.metadata) +
                   (model.D ? ", D at " + position_text(d.value.metadata) : std::string()) + ", state at " + where +
                   "): resume from another --epoch");

  if (Status st = same_architecture(gn, g.value, model.g_spec); !st.ok()) return R::Fail(st.error);
  if (Status st = check_weights(model.G->graph(), g.value.weights); !st.ok()) return R::Fail(gn + ": " + st.error);
  if (model.D) {
    if (Status st = same_architecture(dn, d.value, model.d_spec); !st.ok()) return R::Fail(st.error);
    if (Status st = check_weights(model.D->graph(), d.value.weights); !st.ok()) return R::Fail(dn + ": " + st.error);
  }

  R r;
  TrainProgress& p = r.value;
  const Meta& m = s.value.metadata;
  bool ok = read_int(m, "epoch", p.epoch) && read_int(m, "epoch_iter", p.epoch_iter) &&
            read_int(m, "total_iters", p.total_iters) && read_int(m, "epoch_batches", p.epoch_batches) &&
            read_int(m, "steps", p.steps) && read_double(m, "epoch_l1_sum", p.epoch_l1_sum) &&
            read_int(m, "epoch_l1_count", p.epoch_l1_count) && m.count("epoch_done");
  LrSchedule sched = schedule;
  int64_t bad = 0;
  ok = ok && read_double(m, "plateau_best", sched.plateau_best) && read_double(m, "plateau_factor", sched.plateau_factor) &&
       read_int(m, "plateau_bad", bad);
  if (!ok) return R::Fail(sp + ": the training position or schedule is missing from its metadata");
  p.epoch_done = m.at("epoch_done") == "1";
  read_double(m, "train_seconds", p.train_seconds);  // absent in checkpoints of older versions: counts from here
  read_int(m, "skipped", p.skipped);
  sched.plateau_bad = int(bad);

  if (Status st = model.G->load_weights(g.value.weights); !st.ok()) return R::Fail(gn + ": " + st.error);
  if (model.D)
    if (Status st = model.D->load_weights(d.value.weights); !st.ok()) return R::Fail(dn + ": " + st.error);
  if (Status st = model.optG_->load_state(s.value.weights, "G."); !st.ok()) return R::Fail(sn + ": " + st.error);
  if (model.optD_)
    if (Status st = model.optD_->load_state(s.value.weights, "D."); !st.ok()) return R::Fail(sn + ": " + st.error);
  schedule = sched;
  return r;
}

}  // namespace p2p
