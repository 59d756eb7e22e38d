#include "native/distributed.h"

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "native/model_file.h"  // one_line

namespace p2p {

namespace {

constexpr auto kBeatInterval = std::chrono::milliseconds(500);
constexpr auto kBeatSilence = std::chrono::milliseconds(2500);  // no beat for this long: the rank is gone

Result<int> env_int(const char* name, int fallback, int lo, int hi) {
  const char* v = std::getenv(name);
  if (!v || !*v) return {fallback, ""};
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end || x < lo || x > hi)
    return Result<int>::Fail(std::string(name) + "=" + printable(v) + " is not a whole number from " + std::to_string(lo) +
                             " to " + std::to_string(hi));
  return {int(x), ""};
}

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

std::string rank_list(const std::vector<int>& ranks) {
  std::string s = ranks.size() == 1 ? "rank " : "ranks ";
  for (size_t i = 0; i < ranks.size(); i++) s += (i ? ", " : "") + std::to_string(ranks[i]);
  return s;
}

}  // namespace

Result<DistEnv> dist_env_from_environment() {
  using R = Result<DistEnv>;
  DistEnv e;
  Result<int> world = env_int("WORLD_SIZE", 1, 1, 65536);
  if (!world.ok()) return R::Fail(world.error);
  e.world_size = world.value;
  if (e.world_size == 1) return {e, ""};
  Result<int> rank = env_int("RANK", -1, 0, e.world_size - 1);
  Result<int> local = env_int("LOCAL_RANK", 0, 0, 65535);
  Result<int> port = env_int("MASTER_PORT", 29500, 1, 65535);
  for (const Result<int>* r : {&rank, &local, &port})
    if (!r->ok()) return R::Fail(r->error);
  if (rank.value < 0) return R::Fail("WORLD_SIZE=" + std::to_string(e.world_size) + " needs RANK (0 to " + std::to_string(e.world_size - 1) + ")");
  e.rank = rank.value, e.local_rank = local.value, e.master_port = port.value;
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  return {e, ""};
}

struct DataParallel::Impl {
  DistEnv env;
  std::chrono::seconds timeout;
  c10::intrusive_ptr<c10d::TCPStore> store, beat_store;  // the beat thread has its own connection
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;  // not ProcessGroup: from LibTorch 2.0 on it is a c10d::Backend
  std::atomic<int64_t> step{0};
  std::mutex beat_mu;
  std::condition_variable beat_cv;
  bool stopping = false;
  std::thread beat;

  std::string key(const char* what, int rank) const { return std::string("p2p/") + what + "/" + std::to_string(rank); }

  void beat_loop() {
    std::unique_lock<std::mutex> lock(beat_mu);
    while (!stopping) {
      try {
        beat_store->add(key("beat", env.rank), 1);
        const std::string s = std::to_string(step.load());
        beat_store->set(key("step", env.rank), std::vector<uint8_t>(s.begin(), s.end()));
      } catch (const std::exception&) {
        return;  // the store (rank 0) is gone: the next collective fails and says so
      }
      beat_cv.wait_for(lock, kBeatInterval);
    }
  }

  torch::Tensor all_sum(const torch::Tensor& x) {
    std::vector<at::Tensor> v = {x.detach().clone().contiguous()};
    group->allreduce(v)->wait();
    return v[0];
  }
};

Result<std::unique_ptr<DataParallel>> DataParallel::join(const DistEnv& env, std::chrono::seconds timeout) {
  using R = Result<std::unique_ptr<DataParallel>>;
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions so;
    so.port = uint16_t(env.master_port);
    // Under torchrun the agent hosts the store at MASTER_PORT already, and says so.
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    so.isServer = env.rank == 0 && !(agent && std::string(agent) == "True");
    so.numWorkers = size_t(env.world_size);
    so.waitWorkers = true;
    so.timeout = timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    so.isServer = false;
    so.waitWorkers = false;
    impl->beat_store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME"); iface && *iface)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
    else if (is_loopback(env.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.world_size, opts);
  } catch (const std::exception& e) {
    return R::Fail("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) + " could not join the group at " +
                   where + " within " + std::to_string(timeout.count()) + " s (are all ranks started, with the same MASTER_ADDR, "
                   "MASTER_PORT and WORLD_SIZE?): " + one_line(e));
  }
  Impl* raw = impl.get();
  impl->beat = std::thread([raw] { raw->beat_loop(); });
  return {std::unique_ptr<DataParallel>(new DataParallel(std::move(impl))), ""};
}

Result<std::unique_ptr<DataParallel>> DataParallel::join_from_environment(std::chrono::seconds timeout) {
  Result<DistEnv> env = dist_env_from_environment();
  if (!env.ok()) return Result<std::unique_ptr<DataParallel>>::Fail(env.error);
  if (env.value.world_size == 1) return {nullptr, ""};
  return join(env.value, timeout);
}

DataParallel::DataParallel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DataParallel::~DataParallel() {
  {
    std::lock_guard<std::mutex> lock(impl_->beat_mu);
    impl_->stopping = true;
  }
  impl_->beat_cv.notify_all();
  if (impl_->beat.joinable()) impl_->beat.join();
}

int DataParallel::rank() const { return impl_->env.rank; }
int DataParallel::size() const { return impl_->env.world_size; }
int DataParallel::local_rank() const { return impl_->env.local_rank; }
std::string DataParallel::who() const { return "rank " + std::to_string(rank()) + " of " + std::to_string(size()); }
void DataParallel::set_step(int64_t step) {
  // Tests only: P2P_TEST_HANG_RANK=R makes rank R hang before its step 3, alive (its heartbeat goes on).
  static const int hang_rank = [] {
    const char* e = std::getenv("P2P_TEST_HANG_RANK");
    return e ? std::atoi(e) : -1;
  }();
  if (rank() == hang_rank && step == 3) std::this_thread::sleep_for(std::chrono::hours(1));
  impl_->step = step;
}

void DataParallel::broadcast(std::vector<torch::Tensor> tensors) {
  for (torch::Tensor& t : tensors) {
    std::vector<at::Tensor> v = {t.detach().contiguous()};
    impl_->group->broadcast(v)->wait();
    if (v[0].data_ptr() != t.data_ptr()) t.detach().copy_(v[0]);  // only a non-contiguous t was copied
  }
}

std::string DataParallel::broadcast_text(const std::string& text) {
  torch::Tensor n = torch::tensor({int64_t(main() ? text.size() : 0)});
  broadcast({n});
  torch::Tensor bytes = torch::zeros({n.item<int64_t>()}, torch::kUInt8);
  if (main() && !text.empty()) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  broadcast({bytes});
  return std::string(static_cast<const char*>(bytes.data_ptr()), size_t(bytes.numel()));
}

double DataParallel::mean(double value) {
  return impl_->all_sum(torch::tensor({value}, torch::kDouble)).item<double>() / size();
}

torch::Tensor DataParallel::mean(const torch::Tensor& t) { return impl_->all_sum(t) / size(); }

bool DataParallel::any(bool flag) { return impl_->all_sum(torch::tensor({int32_t(flag)})).item<int32_t>() > 0; }

std::string DataParallel::explain_failure(const std::string& error) {
  const std::string where = impl_->env.master_addr + ":" + std::to_string(impl_->env.master_port);
  try {
    auto beats = [&] {
      std::vector<int64_t> b(static_cast<size_t>(size()));
      for (int r = 0; r < size(); r++) b[size_t(r)] = impl_->store->add(impl_->key("beat", r), 0);
      return b;
    };
    std::vector<int64_t> before = beats();
    std::this_thread::sleep_for(kBeatSilence);
    std::vector<int64_t> after = beats();
    std::vector<int> silent, behind;
    std::map<int, int64_t> steps;
    for (int r = 0; r < size(); r++) {
      if (r != rank() && after[size_t(r)] == before[size_t(r)]) silent.push_back(r);
      std::vector<uint8_t> s = impl_->store->get(impl_->key("step", r));
      steps[r] = std::atoll(std::string(s.begin(), s.end()).c_str());
    }
    if (!silent.empty())
      return rank_list(silent) + " stopped answering (no heartbeat for " + std::to_string(kBeatSilence.count() / 1000.0).substr(0, 3) +
             " s: killed, crashed or frozen); " + who() + " stops too (" + error + ")";
    int64_t most = 0;
    for (auto& [r, s] : steps) most = std::max(most, s);
    for (auto& [r, s] : steps)
      if (s < most) behind.push_back(r);
    if (!behind.empty())
      return rank_list(behind) + " stuck at step " + std::to_string(steps[behind[0]]) + " while others reached step " +
             std::to_string(most) + "; " + who() + " gave up after " + std::to_string(impl_->timeout.count()) + " s (" + error + ")";
    return "a collective failed on " + who() + " while every rank is alive: " + error;
  } catch (const std::exception&) {
    return "rank 0 is gone (the rendezvous it hosts at " + where + " does not answer); " + who() + " stops (" + error + ")";
  }
}

// ---------------------------------------------------------------------------------------------------------
// --sync_bn

namespace {

// A sum over the ranks whose gradient is the sum of the ranks' gradients (every rank's loss depends on it).
struct AllSum : torch::autograd::Function<AllSum> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, int64_t impl) {
    ctx->saved_data["impl"] = impl;
    return reinterpret_cast<DataParallel::Impl*>(impl)->all_sum(x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list g) {
    auto* impl = reinterpret_cast<DataParallel::Impl*>(ctx->saved_data["impl"].toInt());
    return {impl->all_sum(g[0]), torch::Tensor()};
  }
};

struct SyncedBatchNorm : BatchNormSync {
  DataParallel::Impl* impl;
  explicit SyncedBatchNorm(DataParallel::Impl* i) : impl(i) {}

  torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                           torch::Tensor& running_mean, torch::Tensor& running_var, double momentum, double eps) override {
    const int64_t c = x.size(1);
    torch::Tensor xf = x.to(torch::kFloat);
    const int64_t id = reinterpret_cast<int64_t>(impl);
    // Two passes (mean, then the mean square deviation), summed in double as a single process's batch norm does.
    // The element count rides along with the sums: one collective for both.
    torch::Tensor local = torch::cat({xf.sum({0, 2, 3}, false, torch::kDouble),
                                      torch::full({1}, double(xf.numel() / c), xf.options().dtype(torch::kDouble))});
    torch::Tensor sums = AllSum::apply(local, id), count = sums.narrow(0, c, 1);
    torch::Tensor mean = (sums.narrow(0, 0, c) / count).to(torch::kFloat);
    torch::Tensor centred = xf - mean.view({1, c, 1, 1});
    torch::Tensor var = (AllSum::apply(centred.square().sum({0, 2, 3}, false, torch::kDouble), id) / count).to(torch::kFloat);
    torch::Tensor y = centred * torch::rsqrt(var + eps).view({1, c, 1, 1});
    if (weight.defined()) y = y * weight.view({1, c, 1, 1}) + bias.view({1, c, 1, 1});
    {
      torch::NoGradGuard no_grad;
      const double n = count.item<double>();
      running_mean.mul_(1 - momentum).add_(mean.detach(), momentum);
      running_var.mul_(1 - momentum).add_(var.detach() * (n / std::max(n - 1, 1.0)), momentum);
    }
    return y.to(x.scalar_type());
  }
};

}  // namespace

std::shared_ptr<BatchNormSync> DataParallel::batch_norm_sync() { return std::make_shared<SyncedBatchNorm>(impl_.get()); }

// ---------------------------------------------------------------------------------------------------------
// Gradient buckets

struct GradientBuckets::Impl {
  DataParallel::Impl* dp;
  std::vector<torch::Tensor> params;
  struct Bucket {
    torch::Tensor flat;
    std::vector<size_t> members;
    std::vector<int64_t> offsets;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  std::vector<size_t> bucket_of, slot_of;  // per parameter
  std::vector<bool> got;                   // per parameter: its gradient came in this backward
  bool armed = false;
  size_t launched = 0;  // buckets launch in order, so every rank issues the same sequence of collectives

  void on_grad(size_t i, const torch::Tensor& g) {
    if (!armed || got[i]) return;
    got[i] = true;
    Bucket& b = buckets[bucket_of[i]];
    b.flat.narrow(0, b.offsets[slot_of[i]], g.numel()).copy_(g.detach().reshape({-1}));
    b.pending--;
    while (launched < buckets.size() && buckets[launched].pending == 0) launch(launched++);
  }

  void launch(size_t k) {
    std::vector<at::Tensor> v = {buckets[k].flat};
    buckets[k].work = dp->group->allreduce(v);
  }
};

GradientBuckets::GradientBuckets(DataParallel& dp, std::vector<torch::Tensor> params, size_t bucket_bytes)
    : impl_(std::make_shared<Impl>()) {
  Impl& m = *impl_;
  m.dp = dp.impl_.get();
  for (torch::Tensor& p : params)
    if (p.requires_grad()) m.params.push_back(p);
  m.bucket_of.resize(m.params.size());
  m.slot_of.resize(m.params.size());
  m.got.resize(m.params.size());
  size_t bytes = bucket_bytes;  // start a new bucket
  std::vector<int64_t> sizes;
  for (size_t i = m.params.size(); i-- > 0;) {
    const size_t nbytes = size_t(m.params[i].numel()) * m.params[i].element_size();
    if (bytes + nbytes > bucket_bytes && bytes > 0) m.buckets.emplace_back(), sizes.push_back(0), bytes = 0;
    Impl::Bucket& b = m.buckets.back();
    m.bucket_of[i] = m.buckets.size() - 1;
    m.slot_of[i] = b.members.size();
    b.members.push_back(i);
    b.offsets.push_back(sizes.back());
    sizes.back() += m.params[i].numel();
    bytes += nbytes;
  }
  for (size_t k = 0; k < m.buckets.size(); k++)
    m.buckets[k].flat = torch::zeros({sizes[k]}, m.params[m.buckets[k].members[0]].options().requires_grad(false));
  std::weak_ptr<Impl> weak = impl_;
  for (size_t i = 0; i < m.params.size(); i++)
    m.params[i].register_hook([weak, i](torch::Tensor g) {
      if (auto impl = weak.lock()) impl->on_grad(i, g);
    });
}

GradientBuckets::~GradientBuckets() = default;

void GradientBuckets::arm() {
  Impl& m = *impl_;
  for (Impl::Bucket& b : m.buckets) b.pending = b.members.size(), b.work.reset();
  std::fill(m.got.begin(), m.got.end(), false);
  m.launched = 0;
  m.armed = true;
}

void GradientBuckets::finish() {
  Impl& m = *impl_;
  m.armed = false;
  for (size_t i = 0; i < m.params.size(); i++)  // a parameter backward did not reach: 0 from this rank
    if (!m.got[i]) {
      Impl::Bucket& b = m.buckets[m.bucket_of[i]];
      b.flat.narrow(0, b.offsets[m.slot_of[i]], m.params[i].numel()).zero_();
    }
  for (; m.launched < m.buckets.size(); m.launched++) m.launch(m.launched);
  const double world = m.dp->env.world_size;
  torch::NoGradGuard no_grad;
  for (Impl::Bucket& b : m.buckets) {
    b.work->wait();
    b.flat.div_(world);
    for (size_t s = 0; s < b.members.size(); s++) {
      torch::Tensor& p = m.params[b.members[s]];
      torch::Tensor avg = b.flat.narrow(0, b.offsets[s], p.numel()).view_as(p);
      if (p.grad().defined()) p.mutable_grad().copy_(avg);
      else p.mutable_grad() = avg.clone();
    }
  }
}

}  // namespace p2p
