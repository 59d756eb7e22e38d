// The test results page, metrics.json and the training page: rows, links, curves, well-formed markup.
#include "native/results_page.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "data_test_util.h"
#include "shared/json.h"

using namespace p2p_test;
namespace fs = std::filesystem;

namespace {

// Every non-void element closed in order; returns "" or what is wrong. Attribute values must not hold '>'.
std::string check_well_formed(const std::string& html) {
  static const std::set<std::string> void_tags = {"meta", "img", "br", "hr", "link", "input"};
  std::vector<std::string> stack;
  size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string::npos) {
    size_t end = html.find('>', pos);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(pos);
    std::string tag = html.substr(pos + 1, end - pos - 1);
    pos = end + 1;
    if (tag.rfind("!DOCTYPE", 0) == 0) continue;
    bool closing = !tag.empty() && tag[0] == '/';
    bool self_closing = !tag.empty() && tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \n/"));
    if (name.empty()) return "empty tag at " + std::to_string(pos);
    if (closing) {
      if (stack.empty() || stack.back() != name) return "</" + name + "> closes " + (stack.empty() ? "nothing" : stack.back());
      stack.pop_back();
    } else if (!self_closing && !void_tags.count(name)) {
      stack.push_back(name);
    }
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

int count(const std::string& s, const std::string& part) {
  int n = 0;
  for (size_t p = 0; (p = s.find(part, p)) != std::string::npos; p += part.size()) n++;
  return n;
}

}  // namespace

TEST(Results, TestPageHasRowsLinksMetricsAndJson) {
  TempDir d;
  const std::string dir = d / "results/facades/test_latest";
  p2p::MetricsAccumulator acc;
  std::vector<p2p::ResultRow> rows;
  const char* names[] = {"1.jpg", "sub/2 & <b>.png"};
  for (int i = 0; i < 2; i++) {
    p2p::Image a = pattern(16, 16, i), fake = pattern(16, 16, i + 5), real = pattern(16, 16, i + 6);
    p2p::Result<p2p::ResultRow> row = p2p::save_result_images(dir, names[i], a, fake, real);
    ASSERT_TRUE(row.ok()) << row.error;
    row.value.metrics = acc.add(fake, real);
    row.value.has_metrics = true;
    rows.push_back(row.value);
  }
  EXPECT_EQ(rows[0].real_a, "images/1_real_A.png");
  EXPECT_EQ(rows[0].fake_b, "images/1_fake_B.png");
  EXPECT_EQ(rows[1].real_b, "images/sub_2 & <b>_real_B.png");
  for (const auto& r : rows)
    for (const std::string* rel : {&r.real_a, &r.fake_b, &r.real_b}) EXPECT_TRUE(fs::is_regular_file(dir + "/" + *rel)) << *rel;
  EXPECT_EQ(p2p::load_image(dir + "/images/1_fake_B.png").value.pixels, pattern(16, 16, 5).pixels);

  p2p::MetricsSummary summary = acc.summary();
  p2p::TestPageInfo info;
  info.title = "facades, test, latest";
  info.details = {{"epoch", "latest"}, {"eval", "off"}};
  ASSERT_TRUE(p2p::write_test_page(dir, info, rows, &summary).ok());
  std::string html = read_text(dir + "/index.html");
  EXPECT_EQ(check_well_formed(html), "");
  EXPECT_NE(html.find("<img src=\"images/1_real_A.png\""), std::string::npos);
  EXPECT_NE(html.find("href=\"images/1_fake_B.png\""), std::string::npos);
  EXPECT_NE(html.find("images/sub_2%20%26%20%3Cb%3E_real_B.png"), std::string::npos);  // URL-encoded link
  EXPECT_NE(html.find("sub/2 &amp; &lt;b&gt;.png"), std::string::npos);                 // escaped name
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(count(html, "<tr><td>"), 2);  // two image rows (the averages row has class="num" cells)
  EXPECT_NE(html.find(p2p::format_psnr(rows[0].metrics.psnr)), std::string::npos);
  EXPECT_NE(html.find("Averages over 2 images"), std::string::npos);
  EXPECT_EQ(html.find("http-equiv=\"refresh\""), std::string::npos);

  p2p::Result<p2p::Json> j = p2p::parse_json(read_text(dir + "/metrics.json"));
  ASSERT_TRUE(j.ok()) << j.error;
  EXPECT_EQ(j.value["summary"]["count"].as_number(), 2.0);
  EXPECT_NEAR(j.value["summary"]["l1"].as_number(), summary.l1, 1e-12);
  ASSERT_EQ(j.value["images"].size(), 2u);
  EXPECT_EQ(j.value["images"][1]["name"].as_string(), "sub/2 & <b>.png");
  EXPECT_NEAR(j.value["images"][1]["ssim"].as_number(), rows[1].metrics.ssim, 1e-12);

  // Without ground truth: no metric columns, summary null.
  ASSERT_TRUE(p2p::write_test_page(dir, info, rows, nullptr).ok());
  html = read_text(dir + "/index.html");
  EXPECT_EQ(check_well_formed(html), "");
  EXPECT_EQ(html.find("PSNR"), std::string::npos);
  EXPECT_TRUE(p2p::parse_json(read_text(dir + "/metrics.json")).value["summary"].is_null());
}

TEST(Results, LossLogParsingSkipsPartialLines) {
  std::string log =
      "{\"epoch\": 1, \"iter\": 50, \"losses\": {\"G_GAN\": 0.9, \"G_L1\": 30.5, \"D_real\": 0.6}, \"time\": 0.1}\n"
      "\n"
      "{\"epoch\": 1, \"iter\": 100, \"losses\": {\"G_GAN\": 1.1, \"G_L1\": 25.0, \"D_real\": 0.5}}\n"
      "{\"note\": \"not a loss record\"}\n"
      "{\"epoch\": 2, \"iter\": 50, \"progress\": 1.5, \"losses\": {\"G_GAN\": 1.0, \"G_L1\": 20.0, \"D_real\": 0.4}}\n"
      "{\"epoch\": 2, \"iter\": 100, \"losses\": {\"G_GA";  // being written
  std::vector<p2p::LossRecord> r = p2p::parse_loss_log(log);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].epoch, 1);
  EXPECT_EQ(r[1].iter, 100);
  EXPECT_EQ(r[2].progress, 1.5);
  ASSERT_EQ(r[2].losses.size(), 3u);
  EXPECT_EQ(r[2].losses[1], (std::pair<std::string, double>("G_L1", 20.0)));
  std::string svg = p2p::loss_curves_svg(r);
  EXPECT_EQ(count(svg, "<polyline"), 3);  // one per series
  EXPECT_EQ(count(svg, "<svg "), 3);
  EXPECT_NE(svg.find(">G_L1 (last 20)<"), std::string::npos);
  EXPECT_LT(svg.find(">G_GAN "), svg.find(">G_L1 "));  // the log's order
  EXPECT_LT(svg.find(">G_L1 "), svg.find(">D_real "));
  EXPECT_EQ(check_well_formed(svg), "");

  // Long logs are averaged down.
  std::vector<p2p::LossRecord> many(5000);
  for (size_t i = 0; i < many.size(); i++) many[i].epoch = 1, many[i].iter = int64_t(i), many[i].losses = {{"L", double(i % 7)}};
  std::string big = p2p::loss_curves_svg(many, 100);
  size_t pts = big.find("points=\"");
  ASSERT_NE(pts, std::string::npos);
  std::string points = big.substr(pts + 8, big.find('"', pts + 8) - pts - 8);
  EXPECT_EQ(count(points, ",") , 100);
}

TEST(Results, TrainingPageListsEpochsNewestFirstAndRefreshesWhileRunning) {
  TempDir d;
  const std::string run = d / "runs/facades";
  write_text(run + "/log.jsonl",
             "{\"epoch\": 1, \"iter\": 4, \"losses\": {\"G_GAN\": 0.9, \"G_L1\": 30.5, \"D_real\": 0.6, \"D_fake\": 0.7}}\n"
             "{\"epoch\": 2, \"iter\": 4, \"losses\": {\"G_GAN\": 1.2, \"G_L1\": 21.5, \"D_real\": 0.5, \"D_fake\": 0.6}}\n");
  for (int e : {1, 2, 10})
    ASSERT_TRUE(p2p::save_epoch_images(run, e, pattern(8, 8, e), pattern(8, 8, e + 1), pattern(8, 8, e + 2)).ok());
  write_text(run + "/images/notes.txt", "ignored");
  p2p::TrainingPageInfo info;
  info.name = "facades";
  info.refresh_seconds = 15;
  info.details = {{"netG", "unet_256"}};
  ASSERT_TRUE(p2p::write_training_page(run, info).ok());
  std::string html = read_text(run + "/index.html");
  EXPECT_EQ(check_well_formed(html), "");
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"15\">"), std::string::npos);
  EXPECT_EQ(count(html, "<polyline"), 4);
  size_t e10 = html.find("images/epoch010_fake_B.png"), e2 = html.find("images/epoch002_fake_B.png"),
         e1 = html.find("images/epoch001_fake_B.png");
  ASSERT_NE(e10, std::string::npos);
  ASSERT_NE(e2, std::string::npos);
  ASSERT_NE(e1, std::string::npos);
  EXPECT_LT(e10, e2);
  EXPECT_LT(e2, e1);
  EXPECT_NE(html.find("images/epoch002_real_A.png"), std::string::npos);
  EXPECT_NE(html.find("images/epoch002_real_B.png"), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(run + "/images/epoch010_real_B.png"));
  EXPECT_EQ(p2p::load_image(run + "/images/epoch002_fake_B.png").value.pixels, pattern(8, 8, 3).pixels);

  // Finished: no refresh; nothing left over from the atomic writes.
  info.running = false;
  ASSERT_TRUE(p2p::write_training_page(run, info).ok());
  html = read_text(run + "/index.html");
  EXPECT_EQ(html.find("http-equiv"), std::string::npos);
  EXPECT_NE(html.find("Training finished."), std::string::npos);
  for (const auto& e : fs::directory_iterator(run)) EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos);

  // A fresh run with nothing yet still gives a page.
  ASSERT_TRUE(p2p::write_training_page(d / "runs/empty", info).ok());
  html = read_text(d / "runs/empty/index.html");
  EXPECT_EQ(check_well_formed(html), "");
  EXPECT_NE(html.find("No losses logged yet."), std::string::npos);
}
