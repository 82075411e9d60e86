// The generic built-in step types (register_builtin_steps in step_registry.hpp). They compute
// small things from their parameters and input artifacts, which is enough to build and test
// workflows without any ML role: noop, echo, range, square, sum, max, write_file, file_digest,
// concat and fail. docs/workflow.md lists their parameters and outputs.
#include "actors/workflow/step_registry.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "actors/workflow/content_digest.hpp"

namespace dmlp::workflow {

namespace {

using json = nlohmann::json;

caf::error bad(const step_request& req, const std::string& what) {
  return caf::make_error(step_errc::invalid_parameters, req.instance + ": " + what);
}

caf::expected<json> params_of(const step_request& req) {
  auto p = json::parse(req.parameters, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    return bad(req, "parameters are not a JSON object");
  return p;
}

caf::expected<double> number(const step_request& req, const json& p, const std::string& key) {
  auto i = p.find(key);
  if (i == p.end())
    return bad(req, "missing parameter '" + key + "'");
  if (i->is_number())
    return i->get<double>();
  if (i->is_string()) {
    try {
      size_t used = 0;
      auto text = i->get<std::string>();
      auto v = std::stod(text, &used);
      if (used == text.size())
        return v;
    } catch (const std::exception&) {}
  }
  return bad(req, "parameter '" + key + "' is not a number");
}

caf::expected<std::string> text(const step_request& req, const json& p, const std::string& key) {
  auto i = p.find(key);
  if (i == p.end() || !i->is_string())
    return bad(req, "missing string parameter '" + key + "'");
  return i->get<std::string>();
}

caf::expected<std::vector<double>> numbers(const step_request& req, const json& p,
                                           const std::string& key) {
  auto i = p.find(key);
  if (i == p.end() || !i->is_array())
    return bad(req, "parameter '" + key + "' must be a list of numbers");
  std::vector<double> out;
  for (const auto& v : *i) {
    if (!v.is_number())
      return bad(req, "parameter '" + key + "' holds a non-number: " + v.dump());
    out.push_back(v.get<double>());
  }
  return out;
}

step_reply reply_of(const json& outputs) {
  step_reply r;
  r.outputs = outputs.dump();
  return r;
}

/// Wraps a body taking parsed parameters.
step_function
with_params(std::function<caf::expected<step_reply>(const step_request&, const json&)> body) {
  return [body = std::move(body)](const step_request& req) -> caf::expected<step_reply> {
    auto p = params_of(req);
    if (!p)
      return std::move(p.error());
    return body(req, *p);
  };
}

caf::expected<std::string> read_text(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return caf::make_error(step_errc::data_missing,
                           path + ": cannot read: " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string path_of(const std::string& uri) {
  const std::string scheme = "file://";
  return uri.compare(0, scheme.size(), scheme) == 0 ? uri.substr(scheme.size()) : uri;
}

/// Writes `content` into the attempt's work directory and describes it as an artifact.
caf::expected<md_output> write_artifact(const step_request& req, const std::string& name,
                                        const std::string& type, const std::string& content) {
  if (req.work_dir.empty())
    return caf::make_error(step_errc::internal, req.instance + ": no work directory");
  auto path = req.work_dir + "/" + name;
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << content;
  out.close();
  if (!out)
    return caf::make_error(step_errc::internal, path + ": cannot write: " + std::strerror(errno));
  md_output o;
  o.name = name;
  o.artifact.type = type;
  o.artifact.uri = "file://" + path;
  o.artifact.digest = digest_of(content);
  o.artifact.properties = json{{"bytes", content.size()}}.dump();
  return o;
}

} // namespace

void register_builtin_steps(step_registry& registry) {
  // noop: does nothing; outputs {}.
  registry.add_function(
      "noop", 1, [](const step_request&) -> caf::expected<step_reply> { return step_reply{}; });
  // echo: outputs its parameters.
  registry.add_function("echo", 1, with_params([](const step_request&, const json& p) {
                          return caf::expected<step_reply>{reply_of(p)};
                        }));
  // range {count}: outputs {items: [0 .. count-1]}.
  registry.add_function(
      "range", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto n = number(req, p, "count");
        if (!n)
          return std::move(n.error());
        if (*n < 0 || *n > 1e6)
          return bad(req, "count must be in [0, 1e6]");
        json items = json::array();
        for (int64_t i = 0; i < static_cast<int64_t>(*n); ++i)
          items.push_back(i);
        return reply_of(json{{"items", items}});
      }));
  // square {x}: outputs {y: x*x}.
  registry.add_function(
      "square", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto x = number(req, p, "x");
        if (!x)
          return std::move(x.error());
        return reply_of(json{{"y", *x * *x}});
      }));
  // sum {values}: outputs {sum, count}.
  registry.add_function(
      "sum", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto xs = numbers(req, p, "values");
        if (!xs)
          return std::move(xs.error());
        double total = 0;
        for (auto x : *xs)
          total += x;
        return reply_of(json{{"sum", total}, {"count", xs->size()}});
      }));
  // max {values}: outputs {max, index}.
  registry.add_function(
      "max", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto xs = numbers(req, p, "values");
        if (!xs)
          return std::move(xs.error());
        if (xs->empty())
          return bad(req, "values is empty");
        size_t best = 0;
        for (size_t i = 1; i < xs->size(); ++i)
          if ((*xs)[i] > (*xs)[best])
            best = i;
        return reply_of(json{{"max", (*xs)[best]}, {"index", best}});
      }));
  // write_file {name, content}: writes an artifact file; outputs {path, digest}.
  registry.add_function(
      "write_file", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto name = text(req, p, "name");
        if (!name)
          return std::move(name.error());
        if (name->empty() || name->find('/') != std::string::npos)
          return bad(req, "name must be a plain file name");
        auto content = p.contains("content") && p["content"].is_string()
                           ? p["content"].get<std::string>()
                           : p.value("content", json{}).dump();
        auto art = write_artifact(req, *name, "file", content);
        if (!art)
          return std::move(art.error());
        auto reply =
            reply_of(json{{"path", path_of(art->artifact.uri)}, {"digest", art->artifact.digest}});
        reply.artifacts.push_back(std::move(*art));
        return reply;
      }));
  // file_digest {path}: records an external file as a dataset artifact; outputs
  // {digest, bytes, lines}. Its probe is the file's digest (content-based memo invalidation).
  registry.add_function(
      "file_digest", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto path = text(req, p, "path");
        if (!path)
          return std::move(path.error());
        auto content = read_text(*path);
        if (!content)
          return std::move(content.error());
        auto lines = std::count(content->begin(), content->end(), '\n');
        md_output o;
        o.name = "data";
        o.artifact.type = "dataset";
        o.artifact.uri = "file://" + *path;
        o.artifact.digest = digest_of(*content);
        o.artifact.properties = json{{"bytes", content->size()}, {"records", lines}}.dump();
        auto reply = reply_of(
            json{{"digest", o.artifact.digest}, {"bytes", content->size()}, {"lines", lines}});
        reply.artifacts.push_back(std::move(o));
        return reply;
      }),
      [](const step_request& req) -> caf::expected<std::string> {
        auto p = params_of(req);
        if (!p)
          return std::move(p.error());
        auto path = text(req, *p, "path");
        if (!path)
          return std::move(path.error());
        return digest_of_file(*path);
      });
  // concat {name}: concatenates every input artifact (fan-in of files) into one file.
  registry.add_function(
      "concat", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        auto name = p.value("name", std::string{"concat.txt"});
        std::string all;
        for (const auto& in : req.inputs) {
          auto content = read_text(path_of(in.artifact.uri));
          if (!content)
            return std::move(content.error());
          all += *content;
        }
        auto art = write_artifact(req, name, "file", all);
        if (!art)
          return std::move(art.error());
        auto reply = reply_of(json{{"inputs", req.inputs.size()}, {"bytes", all.size()}});
        reply.artifacts.push_back(std::move(*art));
        return reply;
      }));
  // fail {code, message}: fails with step_errc `code` (default internal).
  registry.add_function(
      "fail", 1,
      with_params([](const step_request& req, const json& p) -> caf::expected<step_reply> {
        static const std::map<std::string, step_errc> codes = {
            {"out_of_memory", step_errc::out_of_memory},
            {"data_missing", step_errc::data_missing},
            {"invalid_parameters", step_errc::invalid_parameters},
            {"unavailable", step_errc::unavailable},
            {"internal", step_errc::internal}};
        auto code = p.value("code", std::string{"internal"});
        auto i = codes.find(code);
        if (i == codes.end())
          return bad(req, "unknown failure code '" + code + "'");
        return caf::make_error(i->second,
                               req.instance + ": " + p.value("message", std::string{"failed"}));
      }));
}

} // namespace dmlp::workflow
