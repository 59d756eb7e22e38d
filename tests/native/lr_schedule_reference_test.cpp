// native/lr_schedule against the reference's get_scheduler() on torch.optim.lr_scheduler over whole runs
// (tests/fixtures/reference/lr_schedules/schedules.json): linear, step, cosine and plateau, fresh and resumed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "native/lr_schedule.h"
#include "shared/json.h"
#include "tests/shared/fixtures.h"

using namespace p2p;

TEST(LrScheduleReference, WholeRunsMatchTorch) {
  P2P_REQUIRE_FIXTURES();
  Result<Json> runs = read_json_file(p2p_test::fixture_dir() + "/lr_schedules/schedules.json");
  ASSERT_TRUE(runs.ok()) << runs.error;
  ASSERT_GE(runs.value.size(), 8u);
  for (const Json& r : runs.value.items()) {
    LrSchedule s;
    const std::string policy = r.get_string("policy");
    Result<LrPolicy> parsed = parse_lr_policy(policy);
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    s.policy = parsed.value;
    s.base_lr = r.get_number("lr");
    s.n_epochs = int(r.get_int("n_epochs"));
    s.n_epochs_decay = int(r.get_int("n_epochs_decay"));
    s.epoch_count = int(r.get_int("epoch_count"));
    s.lr_decay_iters = int(r.get_int("lr_decay_iters"));
    const std::string label = policy + " n_epochs " + std::to_string(s.n_epochs) + "+" +
                              std::to_string(s.n_epochs_decay) + " from epoch " + std::to_string(s.epoch_count);
    SCOPED_TRACE(label);
    const Json& epochs = r["epochs"];
    const Json& lrs = r["lrs"];
    const Json* metrics = r.find("metrics");
    ASSERT_EQ(epochs.size(), lrs.size());
    ASSERT_EQ(epochs.size(), size_t(s.n_epochs + s.n_epochs_decay - s.epoch_count + 1));
    // Equal up to rounding (PyTorch's step and cosine schedulers multiply recursively).
    const double tol = 1e-12 * s.base_lr;
    double worst = 0;
    std::string first_bad;
    for (size_t i = 0; i < epochs.size(); i++) {
      // plateau: the finished epoch's metric is observed before the next epoch's rate is read.
      if (i > 0 && metrics) s.observe((*metrics)[i - 1].as_number());
      const int epoch = int(epochs[i].as_number());
      const double want = lrs[i].as_number(), got = s.lr(epoch);
      worst = std::max(worst, std::abs(got - want));
      if (std::abs(got - want) > tol && first_bad.empty())
        first_bad = "epoch " + std::to_string(epoch) + ": ours " + json_number(got) + ", torch " + json_number(want);
    }
    std::printf("[ lr       ] %-44s %zu epochs, max abs diff %.3g\n", label.c_str(), epochs.size(), worst);
    EXPECT_TRUE(first_bad.empty()) << "first difference at " << first_bad;
  }
}

// linear_nonzero: the reference's linear decay one epoch later, so that every epoch trains. Fresh (epoch_count 1)
// and continued (a second cycle from epoch 21) alike.
TEST(LrSchedule, LinearNonzeroKeepsTheFullRateThroughNEpochsAndEndsAboveZero) {
  LrSchedule s;
  s.policy = parse_lr_policy("linear_nonzero").value;
  s.base_lr = 0.0002;
  s.n_epochs = 10, s.n_epochs_decay = 10;
  EXPECT_DOUBLE_EQ(s.lr(1), 0.0002);
  EXPECT_DOUBLE_EQ(s.lr(10), 0.0002);
  EXPECT_DOUBLE_EQ(s.lr(11), 0.0002 * 10 / 11);
  EXPECT_DOUBLE_EQ(s.lr(20), 0.0002 / 11);
  s.policy = LrPolicy::Linear;  // the reference: lower already in epoch 10, 0 in epoch 20
  EXPECT_LT(s.lr(10), 0.0002);
  EXPECT_EQ(s.lr(20), 0.0);
  s.policy = LrPolicy::LinearNonzero;
  s.epoch_count = 21, s.n_epochs = 20, s.n_epochs_decay = 5;  // train --continue_train --n_epochs 20 --n_epochs_decay 5
  EXPECT_DOUBLE_EQ(s.lr(21), 0.0002 * 5 / 6);
  EXPECT_DOUBLE_EQ(s.lr(25), 0.0002 / 6);
  for (int e = 21; e < 25; e++) EXPECT_GT(s.lr(e), s.lr(e + 1));
}
