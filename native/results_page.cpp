// The test results page and the training page: plain HTML5 with inline SVG, written atomically.
#include "native/results_page.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "shared/file_io.h"
#include "shared/json.h"

namespace p2p {

namespace fs = std::filesystem;

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// A relative path as a URL path: everything but unreserved characters and '/' percent-encoded.
std::string url_path(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') out += char(c);
    else out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}img{max-width:256px;image-rendering:auto;display:block}"
    ".num{text-align:right;font-variant-numeric:tabular-nums}.curves svg{margin:0 12px 12px 0;"
    "border:1px solid #ddd;background:#fff}";

std::string page_head(const std::string& title, int refresh_seconds) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  if (refresh_seconds > 0) h += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(refresh_seconds) + "\">\n";
  h += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>" + html_escape(title) + "</h1>\n";
  return h;
}

std::string details_table(const std::vector<std::pair<std::string, std::string>>& details) {
  if (details.empty()) return "";
  std::string t = "<table class=\"details\">\n";
  for (const auto& [k, v] : details) t += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
  return t + "</table>\n";
}

std::string image_cell(const std::string& rel, const char* alt) {
  if (rel.empty()) return "<td></td>";
  std::string u = html_escape(url_path(rel));
  return "<td><a href=\"" + u + "\"><img src=\"" + u + "\" alt=\"" + alt + "\" loading=\"lazy\"></a></td>";
}

std::string lab_text(const std::array<double, 3>& v) {
  return fmt("%.3f", v[0]) + " / " + fmt("%.3f", v[1]) + " / " + fmt("%.3f", v[2]);
}

std::string stem_of(const std::string& name) {
  std::string s = name;
  size_t slash = s.rfind('/'), dot = s.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) s.resize(dot);
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string epoch_label(int64_t epoch) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "epoch%03lld", (long long)epoch);
  return buf;
}

}  // namespace

Result<ResultRow> save_result_images(const std::string& dir, const std::string& name, const Image& real_a,
                                     const Image& fake_b, const Image& real_b) {
  using R = Result<ResultRow>;
  if (Status st = make_dirs(dir + "/images"); !st.ok()) return R::Fail(st.error);
  R r;
  r.value.name = name;
  const std::string stem = stem_of(name);
  const std::pair<const Image*, std::string*> parts[] = {
      {&real_a, &r.value.real_a}, {&fake_b, &r.value.fake_b}, {&real_b, &r.value.real_b}};
  const char* labels[] = {"real_A", "fake_B", "real_B"};
  for (int i = 0; i < 3; i++) {
    if (parts[i].first->pixels.empty()) continue;
    std::string rel = "images/" + stem + "_" + labels[i] + ".png";
    if (Status st = save_png(dir + "/" + rel, *parts[i].first); !st.ok()) return R::Fail(st.error);
    *parts[i].second = rel;
  }
  return r;
}

Status write_test_page(const std::string& dir, const TestPageInfo& info, const std::vector<ResultRow>& rows,
                       const MetricsSummary* summary) {
  if (Status st = make_dirs(dir); !st.ok()) return st;
  std::string h = page_head(info.title.empty() ? "pix2pix test results" : info.title, 0);
  h += details_table(info.details);
  if (summary) {
    h += "<h2>Averages over " + std::to_string(summary->count) + " images</h2>\n<table class=\"summary\">\n";
    h += "<tr><th>L1</th><th>PSNR (dB)</th><th>SSIM</th><th>Lab intersection L / a / b (whole set)</th>"
         "<th>Lab intersection L / a / b (mean per image)</th></tr>\n";
    h += "<tr><td class=\"num\">" + fmt("%.4f", summary->l1) + "</td><td class=\"num\">" + format_psnr(summary->psnr) +
         "</td><td class=\"num\">" + fmt("%.4f", summary->ssim) + "</td><td class=\"num\">" + lab_text(summary->lab_set) +
         "</td><td class=\"num\">" + lab_text(summary->lab_image) + "</td></tr>\n</table>\n";
  }
  h += "<h2>Images</h2>\n<table class=\"results\">\n<tr><th>name</th><th>real_A</th><th>fake_B</th><th>real_B</th>";
  if (summary) h += "<th>L1</th><th>PSNR (dB)</th><th>SSIM</th><th>Lab L / a / b</th>";
  h += "</tr>\n";
  Json images = Json::array();
  for (const ResultRow& r : rows) {
    h += "<tr><td>" + html_escape(r.name) + "</td>" + image_cell(r.real_a, "real_A") + image_cell(r.fake_b, "fake_B") +
         image_cell(r.real_b, "real_B");
    if (summary) {
      if (r.has_metrics)
        h += "<td class=\"num\">" + fmt("%.4f", r.metrics.l1) + "</td><td class=\"num\">" + format_psnr(r.metrics.psnr) +
             "</td><td class=\"num\">" + fmt("%.4f", r.metrics.ssim) + "</td><td class=\"num\">" +
             lab_text(r.metrics.lab) + "</td>";
      else
        h += "<td></td><td></td><td></td><td></td>";
    }
    h += "</tr>\n";
    Json j = r.has_metrics ? to_json(r.metrics) : Json::object();
    Json item = Json::object();
    item["name"] = r.name;
    for (size_t i = 0; i < j.size(); i++) item[j.keys()[i]] = j.items()[i];
    images.push_back(std::move(item));
  }
  h += "</table>\n</body>\n</html>\n";
  Json doc = Json::object();
  doc["summary"] = summary ? to_json(*summary) : Json();
  doc["images"] = std::move(images);
  if (Status st = write_file_atomic(dir + "/metrics.json", doc.dump(2) + "\n"); !st.ok()) return st;
  return write_file_atomic(dir + "/index.html", h);
}

std::vector<LossRecord> parse_loss_log(const std::string& text) {
  std::vector<LossRecord> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    Result<Json> j = parse_json(line);
    if (!j.ok() || !j.value.is_object()) continue;
    const Json* losses = j.value.find("losses");
    if (!losses || !losses->is_object() || !j.value["epoch"].is_number()) continue;
    LossRecord r;
    r.epoch = j.value.get_int("epoch");
    r.iter = j.value.get_int("iter");
    r.progress = j.value.get_number("progress", -1);
    for (size_t i = 0; i < losses->size(); i++)
      if (losses->items()[i].is_number()) r.losses.emplace_back(losses->keys()[i], losses->items()[i].as_number());
    out.push_back(std::move(r));
  }
  return out;
}

std::string loss_curves_svg(const std::vector<LossRecord>& records, size_t max_points) {
  if (records.empty()) return "";
  int64_t max_iter = 1;
  for (const LossRecord& r : records) max_iter = std::max(max_iter, r.iter);
  auto x_of = [&](const LossRecord& r) {
    return r.progress >= 0 ? r.progress : double(r.epoch - 1) + double(r.iter) / double(max_iter);
  };
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  std::vector<std::string> order;  // series in order of first appearance
  double x0 = x_of(records.front()), x1 = x0;
  for (const LossRecord& r : records) {
    double x = x_of(r);
    x0 = std::min(x0, x), x1 = std::max(x1, x);
    for (const auto& [name, v] : r.losses) {
      if (!std::isfinite(v)) continue;
      auto [it, fresh] = series.try_emplace(name);
      if (fresh) order.push_back(name);
      it->second.emplace_back(x, v);
    }
  }
  if (x1 <= x0) x1 = x0 + 1;
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  const double W = 340, H = 190, left = 52, right = 10, top = 24, bottom = 26;
  std::string out = "<div class=\"curves\">\n";
  for (size_t si = 0; si < order.size(); si++) {
    std::vector<std::pair<double, double>> pts = series[order[si]];
    if (max_points > 0 && pts.size() > max_points) {  // average consecutive runs of points
      std::vector<std::pair<double, double>> down;
      for (size_t b = 0; b < max_points; b++) {
        size_t s = b * pts.size() / max_points, e = (b + 1) * pts.size() / max_points;
        double sx = 0, sy = 0;
        for (size_t i = s; i < e; i++) sx += pts[i].first, sy += pts[i].second;
        down.emplace_back(sx / double(e - s), sy / double(e - s));
      }
      pts.swap(down);
    }
    double y0 = pts[0].second, y1 = y0;
    for (const auto& p : pts) y0 = std::min(y0, p.second), y1 = std::max(y1, p.second);
    if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
    auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
    auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (H - top - bottom); };
    const std::string name = html_escape(order[si]);
    const char* color = colors[si % (sizeof colors / sizeof *colors)];
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fmt("%g", W) + "\" height=\"" + fmt("%g", H) +
           "\" viewBox=\"0 0 " + fmt("%g", W) + " " + fmt("%g", H) + "\" role=\"img\" aria-label=\"" + name + "\">\n";
    out += "<title>" + name + "</title>\n";
    out += "<text x=\"" + fmt("%g", left) + "\" y=\"16\" font-size=\"13\" fill=\"" + color + "\">" + name + " (last " +
           fmt("%.4g", series[order[si]].back().second) + ")</text>\n";
    out += "<line x1=\"" + fmt("%g", left) + "\" y1=\"" + fmt("%g", H - bottom) + "\" x2=\"" + fmt("%g", W - right) +
           "\" y2=\"" + fmt("%g", H - bottom) + "\" stroke=\"#999\"/>\n";
    out += "<line x1=\"" + fmt("%g", left) + "\" y1=\"" + fmt("%g", top) + "\" x2=\"" + fmt("%g", left) + "\" y2=\"" +
           fmt("%g", H - bottom) + "\" stroke=\"#999\"/>\n";
    out += "<text x=\"" + fmt("%g", left - 4) + "\" y=\"" + fmt("%g", top + 4) + "\" font-size=\"10\" text-anchor=\"end\">" +
           fmt("%.4g", y1) + "</text>\n";
    out += "<text x=\"" + fmt("%g", left - 4) + "\" y=\"" + fmt("%g", H - bottom) + "\" font-size=\"10\" text-anchor=\"end\">" +
           fmt("%.4g", y0) + "</text>\n";
    out += "<text x=\"" + fmt("%g", left) + "\" y=\"" + fmt("%g", H - 8) + "\" font-size=\"10\">" + fmt("%.4g", x0) + "</text>\n";
    out += "<text x=\"" + fmt("%g", (left + W - right) / 2) + "\" y=\"" + fmt("%g", H - 8) +
           "\" font-size=\"10\" text-anchor=\"middle\">epoch</text>\n";
    out += "<text x=\"" + fmt("%g", W - right) + "\" y=\"" + fmt("%g", H - 8) + "\" font-size=\"10\" text-anchor=\"end\">" +
           fmt("%.4g", x1) + "</text>\n";
    out += "<polyline fill=\"none\" stroke=\"" + std::string(color) + "\" stroke-width=\"1.5\" points=\"";
    for (size_t i = 0; i < pts.size(); i++) {
      if (i) out += ' ';
      out += fmt("%.1f", px(pts[i].first));
      out += ',';
      out += fmt("%.1f", py(pts[i].second));
    }
    out += "\"/>\n</svg>\n";
  }
  return out + "</div>\n";
}

Status save_epoch_images(const std::string& run_dir, int64_t epoch, const Image& real_a, const Image& fake_b,
                         const Image& real_b) {
  const std::string dir = run_dir + "/images";
  if (Status st = make_dirs(dir); !st.ok()) return st;
  const std::string base = dir + "/" + epoch_label(epoch);
  if (Status st = save_png(base + "_real_A.png", real_a); !st.ok()) return st;
  if (Status st = save_png(base + "_fake_B.png", fake_b); !st.ok()) return st;
  return save_png(base + "_real_B.png", real_b);
}

namespace {
// The top of a training page: title, status, details and the loss curves of run_dir/log.jsonl.
Result<std::string> training_page_top(const std::string& run_dir, const TrainingPageInfo& info, const std::string& title) {
  std::vector<LossRecord> records;
  if (file_exists(run_dir + "/log.jsonl")) {
    Result<std::vector<uint8_t>> log = read_file(run_dir + "/log.jsonl");
    if (!log.ok()) return Result<std::string>::Fail(log.error);
    records = parse_loss_log(std::string(log.value.begin(), log.value.end()));
  }
  std::string h = page_head(info.name.empty() ? title : info.name, info.running ? info.refresh_seconds : 0);
  h += std::string("<p>") +
       (info.running ? "Training; this page reloads every " + std::to_string(info.refresh_seconds) + " s."
                     : "Training finished.") +
       "</p>\n";
  h += details_table(info.details);
  h += "<h2>Losses</h2>\n";
  h += records.empty() ? "<p>No losses logged yet.</p>\n" : loss_curves_svg(records);
  return {h, ""};
}
}  // namespace

Status write_style_training_page(const std::string& run_dir, const TrainingPageInfo& info,
                                 const std::vector<std::pair<std::string, std::string>>& previews) {
  Result<std::string> top = training_page_top(run_dir, info, "style training");
  if (!top.ok()) return Status::Fail(top.error);
  std::string h = top.value + "<h2>Previews (photo | stylised)</h2>\n<table class=\"epochs\">\n";
  for (const auto& [label, path] : previews) h += "<tr><td>" + html_escape(label) + "</td>" + image_cell(path, label.c_str()) + "</tr>\n";
  h += "</table>\n</body>\n</html>\n";
  if (Status st = make_dirs(run_dir); !st.ok()) return st;
  return write_file_atomic(run_dir + "/index.html", h);
}

Status write_training_page(const std::string& run_dir, const TrainingPageInfo& info) {
  Result<std::string> top = training_page_top(run_dir, info, "pix2pix training");
  if (!top.ok()) return Status::Fail(top.error);
  // Epochs with images: images/epochNNN_{real_A,fake_B,real_B}.png.
  std::map<int64_t, std::set<std::string>> epochs;
  std::error_code ec;
  for (auto it = fs::directory_iterator(run_dir + "/images", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string f = it->path().filename().string();
    long long e = 0;
    char label[8] = {};
    int used = 0;
    if (std::sscanf(f.c_str(), "epoch%lld_%6[a-zA-Z_]%n", &e, label, &used) == 2 && f.substr(size_t(used)) == ".png" &&
        (std::string(label) == "real_A" || std::string(label) == "fake_B" || std::string(label) == "real_B"))
      epochs[e].insert(label);
  }
  std::string h = top.value + "<h2>Epochs</h2>\n";
  if (epochs.empty()) {
    h += "<p>No epoch images yet.</p>\n";
  } else {
    h += "<table class=\"epochs\">\n<tr><th>epoch</th><th>real_A</th><th>fake_B</th><th>real_B</th></tr>\n";
    for (auto it = epochs.rbegin(); it != epochs.rend(); ++it) {
      const std::string base = "images/" + epoch_label(it->first);
      auto cell = [&](const char* label) {
        return it->second.count(label) ? image_cell(base + "_" + label + ".png", label) : std::string("<td></td>");
      };
      h += "<tr><td>" + std::to_string(it->first) + "</td>" + cell("real_A") + cell("fake_B") + cell("real_B") + "</tr>\n";
    }
    h += "</table>\n";
  }
  h += "</body>\n</html>\n";
  if (Status st = make_dirs(run_dir); !st.ok()) return st;
  return write_file_atomic(run_dir + "/index.html", h);
}

}  // namespace p2p
