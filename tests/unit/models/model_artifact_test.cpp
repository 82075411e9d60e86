// The model artifact format: round trips, version numbering, and every kind of corruption
// (flipped bytes, truncation, wrong magic, mismatched shapes, bad JSON) giving a clear error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <torch/torch.h>

#include "actors/models/errors.hpp"
#include "actors/models/model_runner.hpp"
#include "actors/models/model_store.hpp"
#include "actors/models/tensor_codec.hpp"
#include "messages/errors.hpp"
#include "runtime/storage.hpp"

using namespace dmlp;
using namespace dmlp::models;
namespace fs = std::filesystem;

namespace {

class model_artifact_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("dmlp-artifact-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string weights(uint32_t v) const {
    return (fs::path{version_path(dir_, v)} / weights_file_name).string();
  }

  void overwrite(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  std::string dir_;
};

} // namespace

TEST_F(model_artifact_test, save_and_load_round_trip_keeps_outputs) {
  torch::manual_seed(7);
  auto m = *model_registry::global().create("batch_norm");
  m->eval();
  model_metadata meta;
  meta.name = "fashion";
  meta.architecture = "batch_norm";
  meta.metrics["test_accuracy"] = 0.5;
  preprocessing prep;
  prep.standardize = true;
  prep.mean = 0.28;
  prep.stddev = 0.35;
  auto v = save_model(dir_, *m, meta, prep);
  ASSERT_TRUE(v) << describe(v.error());
  EXPECT_EQ(*v, 1u);
  auto loaded = load_model(dir_, 1);
  ASSERT_TRUE(loaded) << describe(loaded.error());
  EXPECT_EQ(loaded->metadata.name, "fashion");
  EXPECT_EQ(loaded->metadata.parameters, 93514u);
  EXPECT_DOUBLE_EQ(loaded->metadata.metrics.at("test_accuracy"), 0.5);
  EXPECT_EQ(loaded->prep.canonical(), prep.canonical());
  auto x = torch::rand({4, 1, 28, 28});
  EXPECT_TRUE(torch::equal(m->forward(x), loaded->module->forward(x)));
}

TEST_F(model_artifact_test, versions_count_up_and_the_newest_wins) {
  EXPECT_EQ(newest_version(dir_).error(), model_errc::no_versions);
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 1));
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 2));
  fs::create_directories(fs::path{dir_} / ".tmp-9-1");
  fs::create_directories(fs::path{dir_} / "notes");
  EXPECT_EQ(*list_versions(dir_), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(*newest_version(dir_), 2u);
  EXPECT_EQ(load_model(dir_, 3).error(), model_errc::unknown_version);
}

TEST_F(model_artifact_test, the_same_seed_gives_the_same_model) {
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 42));
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 42));
  auto a = runtime::read_file(weights(1));
  auto b = runtime::read_file(weights(2));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

TEST_F(model_artifact_test, a_flipped_byte_is_a_checksum_error) {
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 1));
  auto bytes = *runtime::read_file(weights(1));
  bytes[bytes.size() / 2] ^= 0x40;
  overwrite(weights(1), bytes);
  auto loaded = load_model(dir_, 1);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), model_errc::bad_weights);
  EXPECT_NE(describe(loaded.error()).find("checksum"), std::string::npos)
      << describe(loaded.error());
}

TEST_F(model_artifact_test, truncated_and_foreign_files_are_refused) {
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 1));
  auto bytes = *runtime::read_file(weights(1));
  overwrite(weights(1), std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 3));
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_weights);
  overwrite(weights(1), std::vector<uint8_t>(10, 'x'));
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_weights);
  overwrite(weights(1), {});
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_weights);
  fs::remove(weights(1));
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_weights);
}

TEST_F(model_artifact_test, weights_of_another_architecture_are_a_shape_mismatch) {
  ASSERT_TRUE(init_model(dir_, "batch_norm", "a", 1));
  // Claim the batch_norm weights belong to a plain cnn.
  auto meta = *read_metadata(dir_, 1);
  meta.architecture = "cnn";
  auto text = meta.to_json();
  overwrite((fs::path{version_path(dir_, 1)} / metadata_file_name).string(),
            std::vector<uint8_t>(text.begin(), text.end()));
  auto loaded = load_model(dir_, 1);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), model_errc::shape_mismatch);
}

TEST_F(model_artifact_test, a_tensor_with_the_wrong_shape_is_named_in_the_error) {
  torch::manual_seed(1);
  auto m = *model_registry::global().create("cnn");
  std::vector<std::pair<std::string, torch::Tensor>> state;
  for (auto& p : m->named_parameters())
    state.emplace_back(p.key(), p.key() == "dense2.weight" ? torch::zeros({10, 65}) : p.value());
  auto bytes = encode(*bundle_from_torch(state));
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 1));
  ASSERT_FALSE(runtime::write_file_atomic(
      weights(1), frame_checked(weights_magic(), weights_format_version, bytes->bytes)));
  auto loaded = load_model(dir_, 1);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error(), model_errc::shape_mismatch);
  EXPECT_NE(describe(loaded.error()).find("dense2.weight"), std::string::npos)
      << describe(loaded.error());
}

TEST_F(model_artifact_test, bad_metadata_and_preprocessing_are_refused) {
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 1));
  auto vdir = fs::path{version_path(dir_, 1)};
  overwrite((vdir / preprocessing_file_name).string(), {'{', '"', 'x'});
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_metadata);
  std::string ok = preprocessing{}.to_json();
  overwrite((vdir / preprocessing_file_name).string(), {ok.begin(), ok.end()});
  std::string newer = R"({"format": 99, "architecture": "cnn", "version": 1})";
  overwrite((vdir / metadata_file_name).string(), {newer.begin(), newer.end()});
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::bad_metadata);
  std::string unknown = R"({"format": 1, "architecture": "resnet", "version": 1})";
  overwrite((vdir / metadata_file_name).string(), {unknown.begin(), unknown.end()});
  EXPECT_EQ(load_model(dir_, 1).error(), model_errc::unknown_architecture);
}

TEST_F(model_artifact_test, the_runner_returns_probabilities) {
  ASSERT_TRUE(init_model(dir_, "cnn", "a", 3));
  auto runner = model_runner::load(dir_, 1, runner_options{1, 4});
  ASSERT_TRUE(runner) << describe(runner.error());
  ASSERT_FALSE(runner->warm_up(2));
  std::vector<float> x(10 * runner->sample_size(), 0.5f);
  auto out = runner->predict(x.data(), 10);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 100u);
  for (int i = 0; i < 10; ++i) {
    float sum = 0;
    for (int c = 0; c < 10; ++c)
      sum += (*out)[i * 10 + c];
    EXPECT_NEAR(sum, 1.0f, 1e-5);
  }
  EXPECT_EQ(runner->predict(x.data(), 0).error(), model_errc::bad_input);
}
