// The workflow's plain classes without actors: YAML parsing and validation, templates, the
// DAG scheduler (order, fan-out/fan-in, async generations, cancellation, exit handler,
// restore), failure classification and retry back-off, memo keys and decisions, artifact GC.
#include <filesystem>
#include <fstream>

#include <caf/sec.hpp>
#include <gtest/gtest.h>

#include "actors/workflow/content_digest.hpp"
#include "actors/workflow/dag_scheduler.hpp"
#include "actors/workflow/failure_policy.hpp"
#include "actors/workflow/memo_policy.hpp"
#include "actors/workflow/templates.hpp"
#include "actors/workflow/workflow_errors.hpp"
#include "actors/workflow/workflow_spec.hpp"
#include "messages/errors.hpp"
#include "messages/workflow.hpp"

using namespace dmlp;
using namespace dmlp::workflow;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> names(const std::vector<dispatch>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds)
    out.push_back(d.instance);
  return out;
}

step_result outputs(json o) {
  return step_result{std::move(o), {}};
}

const char* pipeline_yaml = R"(
name: demo
parameters:
  n: 3
steps:
  - name: make
    type: range
    parameters: {count: "{{workflow.parameters.n}}"}
  - name: square
    type: square
    depends: [make]
    for_each: "{{steps.make.outputs.items}}"
    parameters: {x: "{{item}}"}
    retry: {limit: 2, policy: always, backoff: 250ms, factor: 3, max_backoff: 2s}
    timeout: 5s
    memoize: {max_age: 1h}
    memory_mb: 64
  - name: serve
    type: echo
    depends:
      - {step: square, mode: async, better_by: y, better: min}
exit_handler:
  name: notify
  type: echo
  parameters: {status: "{{workflow.status}}", quoted: "007"}
)";

} // namespace

TEST(workflow_spec, parses_yaml_with_every_feature) {
  auto spec = parse_workflow_yaml(pipeline_yaml, "demo.yaml");
  ASSERT_TRUE(spec) << describe(spec.error());
  ASSERT_EQ(spec->steps.size(), 3u);
  const auto& sq = spec->steps[1];
  EXPECT_EQ(sq.retry.limit, 2u);
  EXPECT_EQ(sq.retry.on, retry_on::always);
  EXPECT_EQ(sq.retry.backoff, 250ms);
  EXPECT_EQ(sq.retry.max_backoff, 2s);
  EXPECT_EQ(sq.timeout, 5s);
  EXPECT_TRUE(sq.memoize.enabled);
  EXPECT_EQ(sq.memoize.max_age, 1h);
  EXPECT_EQ(sq.memory_mb, 64u);
  EXPECT_TRUE(spec->steps[2].depends[0].async);
  EXPECT_FALSE(spec->steps[2].depends[0].higher_is_better);
  EXPECT_EQ(spec->parameters["n"], 3);
  EXPECT_EQ(spec->exit_handler->parameters["quoted"], "007");
  // The JSON form round-trips.
  auto again = workflow_spec::from_json(spec->to_json(), "json");
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(again->to_json(), spec->to_json());
}

TEST(workflow_spec, rejects_bad_definitions_with_the_key) {
  auto unknown =
      parse_workflow_yaml("name: x\nsteps:\n  - {name: a, type: noop, colour: red}\n", "x.yaml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(describe(unknown.error()).find("x.yaml.steps[0].colour: unknown key"),
            std::string::npos)
      << describe(unknown.error());
  auto cycle = parse_workflow_yaml("name: x\nsteps:\n  - {name: a, type: noop, depends: [b]}\n"
                                   "  - {name: b, type: noop, depends: [a]}\n",
                                   "x.yaml");
  ASSERT_FALSE(cycle);
  EXPECT_TRUE(is(cycle.error(), workflow_errc::invalid_graph));
  auto dangling =
      parse_workflow_yaml("name: x\nsteps:\n  - {name: a, type: noop, depends: [zz]}\n", "x.yaml");
  EXPECT_TRUE(is(dangling.error(), workflow_errc::invalid_graph));
  auto dup = parse_workflow_yaml(
      "name: x\nsteps:\n  - {name: a, type: noop}\n  - {name: a, type: noop}\n", "x.yaml");
  EXPECT_TRUE(is(dup.error(), workflow_errc::invalid_spec));
  auto bad_duration =
      parse_workflow_yaml("name: x\nsteps:\n  - {name: a, type: noop, timeout: soon}\n", "x.yaml");
  EXPECT_TRUE(is(bad_duration.error(), workflow_errc::invalid_spec));
  auto not_yaml = parse_workflow_yaml("name: [unclosed", "x.yaml");
  EXPECT_TRUE(is(not_yaml.error(), workflow_errc::invalid_spec));
}

TEST(templates, whole_templates_keep_their_type_and_inner_ones_splice_text) {
  auto lookup = [](const std::string& e) -> caf::expected<json> {
    if (e == "list")
      return json::array({1, 2});
    if (e == "name")
      return json("cnn");
    return caf::make_error(workflow_errc::template_error, e);
  };
  auto r = resolve_templates(
      json{{"a", "{{ list }}"}, {"b", "model-{{name}}-{{list}}"}, {"c", json::array({"{{name}}"})}},
      lookup);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["a"], json::array({1, 2}));
  EXPECT_EQ((*r)["b"], "model-cnn-[1,2]");
  EXPECT_EQ((*r)["c"][0], "cnn");
  EXPECT_FALSE(resolve_templates(json("{{missing}}"), lookup));
  EXPECT_FALSE(resolve_templates(json("x {{name"), lookup));
}

TEST(dag_scheduler, runs_in_order_and_expands_fan_out_from_upstream_outputs) {
  workflow_spec w{"w"};
  w.add(step_spec{"a", "range"})
      .add(step_spec{"b", "square"}
               .after("a")
               .for_each("{{steps.a.outputs.items}}")
               .with_parameter("x", "{{item}}"))
      .add(step_spec{"c", "sum"}.after("b").with_parameter("values", "{{steps.b.outputs.y}}"));
  ASSERT_FALSE(w.validate());
  dag_scheduler dag{w, "r"};
  EXPECT_EQ(names(dag.take_ready()), std::vector<std::string>{"a"});
  EXPECT_TRUE(dag.take_ready().empty());
  dag.succeeded("a", outputs({{"items", {1, 2, 3}}}), false);
  auto fan = dag.take_ready();
  ASSERT_EQ(names(fan), (std::vector<std::string>{"b[0]", "b[1]", "b[2]"}));
  EXPECT_EQ(fan[2].parameters["x"], 3);
  dag.succeeded("b[1]", outputs({{"y", 4}}), false);
  dag.succeeded("b[0]", outputs({{"y", 1}}), false);
  EXPECT_TRUE(dag.take_ready().empty());
  dag.succeeded("b[2]", outputs({{"y", 9}}), false);
  auto fan_in = dag.take_ready();
  ASSERT_EQ(names(fan_in), std::vector<std::string>{"c"});
  EXPECT_EQ(fan_in[0].parameters["values"], json::array({1, 4, 9}));
  EXPECT_FALSE(dag.finished());
  dag.succeeded("c", outputs({{"sum", 14}}), false);
  EXPECT_TRUE(dag.take_ready().empty());
  EXPECT_TRUE(dag.finished());
  EXPECT_EQ(dag.status(), "succeeded");
}

TEST(dag_scheduler, empty_fan_out_completes_at_once_and_inputs_carry_artifacts) {
  workflow_spec w{"w"};
  w.add(step_spec{"a", "x"}.for_each(json::array()))
      .add(step_spec{"p", "x"})
      .add(step_spec{"b", "x"}.after("a").after("p"));
  dag_scheduler dag{w, "r"};
  EXPECT_EQ(names(dag.take_ready()), std::vector<std::string>{"p"});
  step_result r;
  md_output art;
  art.name = "model";
  art.artifact.id = 7;
  r.artifacts.push_back(art);
  dag.succeeded("p", r, false);
  auto next = dag.take_ready();
  ASSERT_EQ(names(next), std::vector<std::string>{"b"});
  ASSERT_EQ(next[0].inputs.size(), 1u);
  EXPECT_EQ(next[0].inputs[0].name, "p.model");
  EXPECT_EQ(next[0].inputs[0].artifact.id, 7);
}

TEST(dag_scheduler, async_edge_runs_generations_only_for_better_results) {
  workflow_spec w{"w"};
  w.add(step_spec{"train", "t"}.for_each(json::array({0, 1, 2})))
      .add(step_spec{"serve", "s"}
               .after_async("train", "acc")
               .with_parameter("acc", "{{steps.train.best.acc}}"))
      .add(step_spec{"report", "r"}.after("serve"));
  dag_scheduler dag{w, "r"};
  EXPECT_EQ(dag.take_ready().size(), 3u);
  dag.succeeded("train[1]", outputs({{"acc", 0.6}}), false);
  auto first = dag.take_ready();
  ASSERT_EQ(names(first), std::vector<std::string>{"serve"});
  EXPECT_EQ(first[0].parameters["acc"], 0.6);
  dag.succeeded("train[0]", outputs({{"acc", 0.8}}), false);
  EXPECT_TRUE(dag.take_ready().empty()) << "serve is still running";
  dag.succeeded("serve", outputs({}), false);
  auto second = dag.take_ready();
  ASSERT_EQ(names(second), std::vector<std::string>{"serve#2"});
  EXPECT_EQ(second[0].parameters["acc"], 0.8);
  dag.succeeded("serve#2", outputs({}), false);
  dag.succeeded("train[2]", outputs({{"acc", 0.7}}), false);
  EXPECT_EQ(names(dag.take_ready()), std::vector<std::string>{"report"});
}

TEST(dag_scheduler, permanent_failure_cancels_queued_work_then_runs_the_exit_handler) {
  workflow_spec w{"w"};
  w.add(step_spec{"a", "x"}.for_each(json::array({0, 1})))
      .add(step_spec{"b", "x"}.after("a"))
      .on_exit(step_spec{"exit", "x"}.with_parameter("s", "{{workflow.status}}"));
  dag_scheduler dag{w, "r"};
  dag.take_ready();
  dag.retry_later("a[1]", 0);
  dag.failed("a[0]", "boom");
  EXPECT_FALSE(dag.retry_due("a[1]")) << "cancelled while waiting";
  auto exit = dag.take_ready();
  ASSERT_EQ(names(exit), std::vector<std::string>{"exit"});
  EXPECT_TRUE(exit[0].exit_handler);
  EXPECT_EQ(exit[0].parameters["s"], "failed");
  EXPECT_FALSE(dag.finished());
  dag.succeeded("exit", outputs({}), false);
  EXPECT_TRUE(dag.finished());
  EXPECT_EQ(dag.status(), "failed");
  EXPECT_EQ(dag.failure(), "a[0]: boom");
  EXPECT_EQ(dag.skipped(), std::vector<std::string>{"b"});
}

TEST(dag_scheduler, restored_results_are_not_dispatched_again) {
  workflow_spec w{"w"};
  w.add(step_spec{"a", "x"})
      .add(step_spec{"b", "x"}.after("a").for_each(json::array({0, 1})))
      .add(step_spec{"c", "x"}.after("b"));
  dag_scheduler dag{w, "r"};
  dag.restore("a", outputs({}), false);
  dag.restore("b[1]", outputs({}), true);
  EXPECT_EQ(names(dag.take_ready()), std::vector<std::string>{"b[0]"});
  dag.succeeded("b[0]", outputs({}), false);
  EXPECT_EQ(names(dag.take_ready()), std::vector<std::string>{"c"});
  auto views = dag.instances();
  EXPECT_TRUE(views[0].restored);
  EXPECT_TRUE(views[2].memoized);
}

TEST(dag_scheduler, bad_templates_fail_the_instance) {
  workflow_spec w{"w"};
  w.add(step_spec{"a", "x"}.with_parameter("v", "{{steps.nope.outputs.x}}"));
  dag_scheduler dag{w, "r"};
  EXPECT_TRUE(dag.take_ready().empty());
  EXPECT_TRUE(dag.finished());
  EXPECT_EQ(dag.status(), "failed");
  EXPECT_NE(dag.failure().find("no step 'nope'"), std::string::npos) << dag.failure();
}

TEST(failure_policy, classifies_from_error_and_runtime_samples) {
  auto oom = classify_failure({caf::make_error(step_errc::out_of_memory, "x"), 0, 512});
  EXPECT_TRUE(oom.transient);
  EXPECT_EQ(oom.next_memory_mb, 1024u);
  EXPECT_FALSE(classify_failure({caf::make_error(step_errc::data_missing, "x"), 0, 0}).transient);
  EXPECT_FALSE(classify_failure({caf::make_error(codec_errc::checksum_mismatch), 0, 0}).transient);
  EXPECT_TRUE(classify_failure({caf::make_error(workflow_errc::step_timeout), 0, 0}).transient);
  EXPECT_TRUE(classify_failure({caf::make_error(caf::sec::request_timeout), 0, 0}).transient);
  // A generic failure near the memory limit counts as out of memory.
  auto near =
      classify_failure({caf::make_error(step_errc::internal, "x"), 95.0 * 1024 * 1024, 100});
  EXPECT_EQ(near.cause, "out_of_memory");
  EXPECT_EQ(near.next_memory_mb, 200u);
  auto far = classify_failure({caf::make_error(step_errc::internal, "x"), 10.0 * 1024 * 1024, 100});
  EXPECT_EQ(far.cause, "error");
  EXPECT_EQ(far.next_memory_mb, 100u);
}

TEST(failure_policy, retries_follow_policy_limit_and_exponential_backoff) {
  retry_spec spec;
  spec.limit = 3;
  spec.backoff = 100ms;
  spec.factor = 2;
  spec.max_backoff = 300ms;
  failure_verdict transient{true, "error", 0};
  failure_verdict permanent{false, "data_missing", 0};
  EXPECT_EQ(decide_retry(spec, 0, transient).delay, 100ms);
  EXPECT_EQ(decide_retry(spec, 1, transient).delay, 200ms);
  EXPECT_EQ(decide_retry(spec, 2, transient).delay, 300ms);
  EXPECT_FALSE(decide_retry(spec, 3, transient).retry);
  EXPECT_FALSE(decide_retry(spec, 0, permanent).retry);
  spec.on = retry_on::always;
  EXPECT_TRUE(decide_retry(spec, 0, permanent).retry);
}

TEST(memo_policy, keys_depend_on_type_version_parameters_and_input_digests) {
  md_output in;
  in.name = "ingest.data";
  in.artifact.digest = "sha256:aa";
  auto base = memo_key("train", 1, json{{"lr", 0.1}, {"epochs", 3}}, {in});
  EXPECT_EQ(base, memo_key("train", 1, json{{"epochs", 3}, {"lr", 0.1}}, {in}));
  EXPECT_NE(base, memo_key("train", 2, json{{"lr", 0.1}, {"epochs", 3}}, {in}));
  EXPECT_NE(base, memo_key("train", 1, json{{"lr", 0.2}, {"epochs", 3}}, {in}));
  auto changed = in;
  changed.artifact.digest = "sha256:bb";
  EXPECT_NE(base, memo_key("train", 1, json{{"lr", 0.1}, {"epochs", 3}}, {changed}));
  EXPECT_EQ(base.rfind("sha256:", 0), 0u);
}

TEST(memo_policy, decides_hit_miss_expiry_and_content_change) {
  md_memo_lookup none;
  EXPECT_EQ(decide_memo(none, 0, 0ms, ""), memo_outcome::miss);
  md_memo_lookup found;
  found.found = true;
  found.entry.created_ms = 1000;
  found.entry.content_token = "t1";
  EXPECT_EQ(decide_memo(found, 5000, 0ms, "t1"), memo_outcome::hit);
  EXPECT_EQ(decide_memo(found, 5000, 4000ms, "t1"), memo_outcome::hit);
  EXPECT_EQ(decide_memo(found, 5001, 4000ms, "t1"), memo_outcome::expired);
  EXPECT_EQ(decide_memo(found, 2000, 0ms, "t2"), memo_outcome::content_changed);
  EXPECT_EQ(memo_gc_cutoff(10000, 3000ms), 7000);
}

TEST(memo_policy, gc_removes_only_files_below_the_artifact_root) {
  auto root = std::filesystem::temp_directory_path() / ("dmlp-gc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "run");
  auto inside = root / "run" / "a.txt";
  auto outside =
      std::filesystem::temp_directory_path() / ("dmlp-gc-outside-" + std::to_string(::getpid()));
  std::ofstream{inside} << "a";
  std::ofstream{outside} << "b";
  auto removed = remove_artifact_files(
      {"file://" + inside.string(), "file://" + outside.string(), "s3://bucket/x"}, root.string());
  EXPECT_EQ(removed, 1u);
  EXPECT_FALSE(std::filesystem::exists(inside));
  EXPECT_TRUE(std::filesystem::exists(outside));
  std::filesystem::remove(outside);
  std::filesystem::remove_all(root);
}

TEST(content_digest, sha256_of_bytes_and_files) {
  EXPECT_EQ(digest_of("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto path = std::filesystem::temp_directory_path() / ("dmlp-dg-" + std::to_string(::getpid()));
  std::ofstream{path} << "abc";
  EXPECT_EQ(*digest_of_file(path.string()), digest_of("abc"));
  std::filesystem::remove(path);
  auto missing = digest_of_file(path.string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().category(), caf::atom("step"));
}
