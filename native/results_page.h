// HTML pages of results: the test page (results/NAME/test_latest/index.html + metrics.json) and the
// training page (runs/NAME/index.html: loss curves as inline SVG, real_A / fake_B / real_B per epoch).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "native/metrics.h"
#include "shared/image.h"
#include "shared/status.h"

namespace p2p {

std::string html_escape(const std::string& s);  // & < > " '

// ---- test page ----

struct ResultRow {
  std::string name;                    // the pair's name, e.g. "x.png"
  std::string real_a, fake_b, real_b;  // image paths relative to the page's folder
  bool has_metrics = false;
  ImageMetrics metrics;
};

// Writes dir/images/<stem>_real_A.png, <stem>_fake_B.png, <stem>_real_B.png (the reference's names;
// stem is name without extension, '/' turned into '_') and returns the row linking them.
Result<ResultRow> save_result_images(const std::string& dir, const std::string& name, const Image& real_a,
                                     const Image& fake_b, const Image& real_b);

struct TestPageInfo {
  std::string title;  // e.g. "facades_pix2pix, test, epoch latest"
  std::vector<std::pair<std::string, std::string>> details;  // shown as a small table (options, timing)
};
// Writes dir/index.html (rows with per-image metrics; the averages on top) and dir/metrics.json
// ({"summary": {...}, "images": [{"name", "l1", "psnr", "ssim", "lab_intersection"}...]}), each atomically.
// summary may be null (no ground truth): no metrics are shown.
Status write_test_page(const std::string& dir, const TestPageInfo& info, const std::vector<ResultRow>& rows,
                       const MetricsSummary* summary);

// ---- training page ----

// One line of log.jsonl: {"epoch": E, "iter": I, "losses": {"G_GAN": ..}, "time": ..}; an optional
// "progress" (epochs done, fractional) places it on the x axis, else epoch - 1 + iter / (largest iter in the log).
struct LossRecord {
  int64_t epoch = 0, iter = 0;
  double progress = -1;
  std::vector<std::pair<std::string, double>> losses;  // in the log's order (the curves keep it)
};
// Parses log.jsonl text; lines that are not such records (a line being written, blank lines) are skipped.
std::vector<LossRecord> parse_loss_log(const std::string& text);
// One <svg> per loss series (each with its own y scale), one polyline each; long series are averaged
// down to at most max_points points.
std::string loss_curves_svg(const std::vector<LossRecord>& records, size_t max_points = 600);

// Writes run_dir/images/epoch%03d_real_A.png, _fake_B.png, _real_B.png.
Status save_epoch_images(const std::string& run_dir, int64_t epoch, const Image& real_a, const Image& fake_b,
                         const Image& real_b);

struct TrainingPageInfo {
  std::string name;
  bool running = true;       // adds <meta http-equiv="refresh">
  int refresh_seconds = 30;
  std::vector<std::pair<std::string, std::string>> details;  // options, progress, speed
};
// Reads run_dir/log.jsonl (if any) and the epoch images in run_dir/images/, and writes run_dir/index.html
// atomically (a browser refreshing it never sees half a page): curves, then the epochs newest first.
Status write_training_page(const std::string& run_dir, const TrainingPageInfo& info);

// The page of a train-style run: details, loss curves from run_dir/log.jsonl, then the preview strips
// (paths relative to run_dir, newest first), written atomically to run_dir/index.html.
Status write_style_training_page(const std::string& run_dir, const TrainingPageInfo& info,
                                 const std::vector<std::pair<std::string, std::string>>& previews);

}  // namespace p2p
