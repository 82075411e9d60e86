#include "apps/pipeline/run_report.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <caf/expected.hpp>
#include <sys/wait.h>

#include "messages/workflow.hpp"

namespace fs = std::filesystem;

namespace dmlp::pipeline {

namespace {

using json = nlohmann::json;

/// "train_model@1" → "train_model".
std::string step_type_of(const md_execution& x) {
  return x.type.substr(0, x.type.find('@'));
}

bool finished(const md_execution& x) {
  return x.state == "complete" || x.state == "memoized";
}

json outputs_of(const md_execution& x) {
  auto j = json::parse(x.outputs, nullptr, false);
  return j.is_object() ? j : json::object();
}

caf::error write_text(const fs::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  out.close();
  if (!out)
    return caf::make_error(step_errc::internal, "cannot write " + path.string());
  return caf::none;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"''"} : std::string(1, c);
  return out + "'";
}

/// Runs gnuplot on `script`; an empty string on success, else why not.
std::string run_gnuplot(const fs::path& dir, const std::string& script) {
  auto file = dir / "plots.gp";
  if (auto err = write_text(file, script))
    return "cannot write the gnuplot script";
  auto command = "cd " + quoted(dir.string()) + " && gnuplot plots.gp 2>gnuplot.log";
  auto rc = std::system(command.c_str());
  if (rc == -1 || !WIFEXITED(rc))
    return "gnuplot could not be run";
  if (WEXITSTATUS(rc) == 127)
    return "gnuplot is not installed (Debian package gnuplot-nox); plots skipped";
  if (WEXITSTATUS(rc) != 0)
    return "gnuplot failed (see gnuplot.log)";
  std::error_code ec;
  fs::remove(dir / "gnuplot.log", ec);
  return {};
}

} // namespace

json summarize(const md_run_detail& detail, const std::string& status, const std::string& failure,
               double seconds) {
  // The latest execution of each instance, in first-seen order.
  std::vector<std::string> order;
  std::map<std::string, const md_execution*> latest;
  for (const auto& x : detail.executions) {
    if (!latest.count(x.name))
      order.push_back(x.name);
    latest[x.name] = &x;
  }
  json models = json::array();
  json memoized = json::array();
  json selected = nullptr;
  json selected_accuracy = nullptr;
  json serving = json::object();
  for (const auto& name : order) {
    const auto& x = *latest[name];
    if (x.state == "memoized")
      memoized.push_back(name);
    if (!finished(x))
      continue;
    auto out = outputs_of(x);
    auto type = step_type_of(x);
    if (type == "train_model") {
      models.push_back({{"name", out.value("name", name)},
                        {"test_accuracy", out.value("test_accuracy", 0.0)},
                        {"train_seconds", out.value("train_seconds", 0.0)},
                        {"model", out.value("model", "")},
                        {"strategy", out.value("strategy", "")},
                        {"workers", out.value("workers", 0)},
                        {"epochs", out.value("epochs", 0)},
                        {"images_per_s", out.value("images_per_s", 0.0)},
                        {"samples_trained", out.value("samples_trained", 0)},
                        {"samples_expected", out.value("samples_expected", 0)},
                        {"restarts", out.value("restarts", 0)},
                        {"memoized", x.state == "memoized"},
                        {"model_dir", out.value("model_dir", "")},
                        {"version", out.value("version", 0)},
                        {"metrics_csv", out.value("metrics_csv", "")}});
    } else if (type == "select_best") {
      selected = out.value("selected", "");
      selected_accuracy = out.value("test_accuracy", 0.0);
      serving["confusion_csv"] = out.value("confusion_csv", "");
      serving["model_dir"] = out.value("model_dir", "");
      serving["version"] = out.value("version", 0);
    } else if (type == "serve_model") {
      serving["url"] = out.value("url", "");
      serving["name"] = out.value("name", "");
      serving["served_version"] = out.value("served_version", 0);
      serving["served_model_dir"] = out.value("model_dir", "");
    } else if (type == "smoke_load") {
      for (const auto* key :
           {"requests_per_s", "p99_ms", "p50_ms", "requests", "errors", "accuracy"})
        if (out.contains(key))
          serving[key] = out[key];
    }
  }
  return {{"run_id", detail.context.name},
          {"status", status},
          {"failure", failure},
          {"models", models},
          {"selected", selected},
          {"selected_accuracy", selected_accuracy},
          {"memoized_steps", memoized},
          {"serving", serving},
          {"seconds", seconds}};
}

caf::expected<report_files> write_report(const std::string& dir, const json& summary,
                                         const json& lineage) {
  report_files files;
  std::error_code ec;
  fs::path root{dir};
  fs::create_directories(root / "metrics", ec);
  if (ec)
    return caf::make_error(step_errc::internal, "cannot create " + dir + ": " + ec.message());
  if (auto err = write_text(root / "summary.json", summary.dump(2) + "\n"))
    return err;
  files.written.push_back("summary.json");
  std::ostringstream loss;
  std::ostringstream accuracy;
  for (const auto& m : summary["models"]) {
    auto csv = m.value("metrics_csv", "");
    auto name = m.value("name", "model");
    auto target = root / "metrics" / (name + ".csv");
    if (csv.empty() || !fs::copy_file(csv, target, fs::copy_options::overwrite_existing, ec))
      continue;
    files.written.push_back("metrics/" + name + ".csv");
    // x: epochs done = samples / samples per epoch.
    auto per_epoch = std::max<double>(1, m.value("samples_expected", 1.0) /
                                             std::max(1.0, m.value("epochs", 1.0)));
    auto x = "($5/" + std::to_string(per_epoch) + ")";
    loss << (loss.tellp() > 0 ? ", " : "plot ") << quoted("metrics/" + name + ".csv")
         << " every ::1 using " << x << ":4 with lines title " << quoted(name);
    accuracy << (accuracy.tellp() > 0 ? ", " : "plot ") << quoted("metrics/" + name + ".csv")
             << " every ::1 using " << x << ":7 with linespoints title " << quoted(name);
  }
  auto confusion = summary["serving"].value("confusion_csv", "");
  bool have_confusion = false;
  if (!confusion.empty() && fs::exists(confusion, ec)) {
    fs::copy_file(confusion, root / "confusion.csv", fs::copy_options::overwrite_existing, ec);
    if (!ec) {
      files.written.push_back("confusion.csv");
      // gnuplot's matrix format: the counts without the header row and label column.
      std::ifstream in{confusion};
      std::string line;
      std::ostringstream matrix;
      std::getline(in, line);
      while (std::getline(in, line)) {
        auto comma = line.find(',');
        if (comma == std::string::npos)
          continue;
        auto row = line.substr(comma + 1);
        for (auto& c : row)
          if (c == ',')
            c = ' ';
        matrix << row << "\n";
      }
      have_confusion = !write_text(root / "confusion.dat", matrix.str());
    }
  }
  if (!lineage.is_null()) {
    if (auto err = write_text(root / "lineage.json", lineage.dump(2) + "\n"))
      return err;
    files.written.push_back("lineage.json");
  }
  std::ostringstream script;
  script << "set datafile separator ','\nset datafile missing ''\n"
         << "set terminal pngcairo size 900,540 noenhanced\n"
         << "set grid\nset key bottom right\nset xlabel 'epoch'\n";
  std::vector<std::string> plots;
  if (loss.tellp() > 0) {
    script << "set output 'loss.png'\nset title 'training loss'\nset ylabel 'loss'\n"
           << "set key top right\n"
           << loss.str() << "\n";
    script << "set output 'accuracy.png'\nset title 'test accuracy after each epoch'\n"
           << "set ylabel 'accuracy'\nset key bottom right\n"
           << accuracy.str() << "\n";
    plots = {"loss.png", "accuracy.png"};
  }
  if (have_confusion) {
    script << "set datafile separator whitespace\nunset grid\n"
           << "set output 'confusion.png'\nset title 'confusion matrix of "
           << summary.value("selected", json("")).dump() << "'\n"
           << "set xlabel 'predicted'\nset ylabel 'label'\nset xtics 1\nset ytics 1\n"
           << "set xrange [-0.5:9.5]\n"
           << "set yrange [9.5:-0.5]\nset palette defined (0 'white', 1 'steelblue')\n"
           << "plot 'confusion.dat' matrix with image notitle, "
           << "'confusion.dat' matrix using 1:2:(sprintf('%d',$3)) with labels notitle\n";
    plots.push_back("confusion.png");
  }
  if (!plots.empty()) {
    files.plot_note = run_gnuplot(root, script.str());
    if (files.plot_note.empty())
      for (auto& p : plots)
        if (fs::exists(root / p, ec))
          files.written.push_back(p);
  }
  return files;
}

} // namespace dmlp::pipeline
