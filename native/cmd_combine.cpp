// pix2pix combine: the reference's combine_A_and_B step. fold_A/<split>/x + fold_B/<split>/x -> fold_AB/<split>/x (A|B).
// Problem files are reported by name and skipped; the rest is written, in parallel over all cores.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>

#include "native/commands.h"
#include "native/dataset.h"
#include "native/options.h"
#include "native/parallel.h"
#include "shared/file_io.h"

namespace p2p {

namespace fs = std::filesystem;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

std::string lower_ext(const std::string& name) {
  size_t dot = name.rfind('.');
  std::string e = dot == std::string::npos ? "" : name.substr(dot + 1);
  for (char& c : e) c = char(std::tolower((unsigned char)c));
  return e;
}

struct Job {
  std::string split, a, b, out;  // the split folder's name; paths
};

}  // namespace

int cmd_combine(const Args& args) {
  std::string fold_a, fold_b, fold_ab;
  bool use_ab = false, multiprocessing = true, overwrite = false;
  int num_imgs = 1000000;
  Options o("combine",
            "Pairs fold_A/<split>/x with fold_B/<split>/x for every split folder (train, val, test, ...) and writes\n"
            "them side by side as fold_AB/<split>/x (A left, B right): PNG for .png, JPEG for .jpg/.jpeg, and PNG\n"
            "with the extension changed to .png for other formats. Files without a partner, unreadable files and\n"
            "pairs of different sizes are reported by name and skipped; the exit status is 1 when any was.");
  o.text("fold_A", &fold_a, "DIR", "input folder of A images (with split subfolders)");
  o.text("fold_B", &fold_b, "DIR", "input folder of B images (with the same split subfolders)");
  o.text("fold_AB", &fold_ab, "DIR", "output folder");
  o.integer("num_imgs", &num_imgs, "at most this many pairs per split (the first in name order)");
  o.flag("use_AB", &use_ab, "pair x_A.ext in fold_A with x_B.ext in fold_B, writing x.ext");
  o.flag("multiprocessing", &multiprocessing, "use all cores (--no_multiprocessing: one thread)");
  o.flag("overwrite", &overwrite, "replace outputs that exist already (otherwise they are kept and reported)");
  if (Status st = o.parse(args); !st.ok()) return fail("combine", st.error, 2);
  if (o.help_requested()) return std::printf("%s", o.help().c_str()), 0;
  if (fold_a.empty() || fold_b.empty() || fold_ab.empty()) return fail("combine", "--fold_A, --fold_B and --fold_AB are required", 2);
  std::error_code ec;
  for (const std::string* d : {&fold_a, &fold_b})
    if (!fs::is_directory(*d, ec)) return fail("combine", "'" + *d + "' is not a folder", 2);

  std::vector<std::string> splits;
  for (auto it = fs::directory_iterator(fold_a, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_directory()) splits.push_back(it->path().filename().string());
  std::sort(splits.begin(), splits.end());
  if (splits.empty()) return fail("combine", "no split folders (train, val, test, ...) in '" + fold_a + "'", 2);

  std::mutex mu;
  size_t skipped = 0;
  auto problem = [&](const std::string& what) {
    std::lock_guard<std::mutex> l(mu);
    skipped++;
    std::fprintf(stderr, "pix2pix combine: %s\n", printable(what, 4096).c_str());
  };

  std::vector<Job> jobs;
  for (const std::string& sp : splits) {
    const fs::path dir_a = fs::path(fold_a) / sp, dir_b = fs::path(fold_b) / sp, dir_ab = fs::path(fold_ab) / sp;
    Result<std::vector<std::string>> names = list_images(dir_a.string(), false);
    if (!names.ok()) {
      problem(names.error);
      continue;
    }
    std::map<std::string, std::string> outputs;  // output name -> the A file it comes from
    size_t taken = 0;
    for (const std::string& name_a : names.value) {
      if (use_ab && name_a.find("_A.") == std::string::npos) continue;
      if (int(taken) >= num_imgs) break;
      taken++;
      std::string name_b = use_ab ? replace_all(name_a, "_A.", "_B.") : name_a;
      std::string name_ab = use_ab ? replace_all(name_a, "_A.", ".") : name_a;
      std::string ext = lower_ext(name_ab);
      if (ext != "png" && ext != "jpg" && ext != "jpeg") name_ab = name_ab.substr(0, name_ab.rfind('.')) + ".png";
      Job j{sp, (dir_a / name_a).string(), (dir_b / name_b).string(), (dir_ab / name_ab).string()};
      if (auto [it, fresh] = outputs.emplace(name_ab, j.a); !fresh) {
        problem(j.a + ": its output " + j.out + " would replace the one from " + it->second + "; skipped");
        continue;
      }
      if (!fs::is_regular_file(j.b, ec)) {
        problem(j.a + ": no partner " + j.b);
        continue;
      }
      if (file_exists(j.out) && !overwrite) {
        problem(j.out + ": exists already, not overwritten (--overwrite replaces it)");
        continue;
      }
      if (Status st = make_dirs(dir_ab.string()); !st.ok()) {
        problem(st.error);
        continue;
      }
      jobs.push_back(std::move(j));
    }
  }

  std::vector<char> done(jobs.size(), 0);
  parallel_for(jobs.size(), multiprocessing ? default_threads() : 1, [&](size_t i) {
    const Job& j = jobs[i];
    Result<Image> a = load_image(j.a, 3);
    if (!a.ok()) return problem(a.error);
    Result<Image> b = load_image(j.b, 3);
    if (!b.ok()) return problem(b.error);
    if (a.value.width != b.value.width || a.value.height != b.value.height)
      return problem(j.a + ": A is " + std::to_string(a.value.width) + "x" + std::to_string(a.value.height) + " but " +
                     j.b + " is " + std::to_string(b.value.width) + "x" + std::to_string(b.value.height));
    Result<Image> ab = join_ab(a.value, b.value);
    if (!ab.ok()) return problem(j.a + ": " + ab.error);
    std::string ext = lower_ext(j.out);
    Status st = ext == "png" ? save_png(j.out, ab.value) : save_jpg(j.out, ab.value, 95);
    if (!st.ok()) return problem(st.error);
    done[i] = 1;
  });

  size_t written = 0;
  std::map<std::string, size_t> per_split;
  for (size_t i = 0; i < jobs.size(); i++)
    if (done[i]) written++, per_split[jobs[i].split]++;
  std::string detail;
  for (const auto& [sp, n] : per_split) detail += (detail.empty() ? " (" : ", ") + sp + " " + std::to_string(n);
  if (!detail.empty()) detail += ")";
  std::printf("combine: wrote %zu pairs into %s%s; %zu skipped\n", written, fold_ab.c_str(), detail.c_str(), skipped);
  return skipped ? 1 : 0;
}

}  // namespace p2p
