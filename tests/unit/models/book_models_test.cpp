// The book's three models: parameter counts, output shapes, and the registry's extension point.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "actors/models/book_models.hpp"
#include "actors/models/errors.hpp"
#include "actors/models/model_store.hpp"

using namespace dmlp::models;

namespace {

std::shared_ptr<classifier> make(const std::string& name) {
  auto m = model_registry::global().create(name);
  EXPECT_TRUE(m) << name;
  return m ? *m : nullptr;
}

class tiny : public classifier {
public:
  tiny() { fc_ = register_module("fc", torch::nn::Linear(784, 10)); }
  torch::Tensor forward(torch::Tensor x) override { return fc_->forward(x.flatten(1)); }

private:
  torch::nn::Linear fc_{nullptr};
};

} // namespace

TEST(book_models, cnn_has_93322_parameters) {
  EXPECT_EQ(parameter_count(*make("cnn")), 93322u);
}

TEST(book_models, dropout_has_the_same_parameters_as_cnn) {
  EXPECT_EQ(parameter_count(*make("dropout")), 93322u);
}

TEST(book_models, batch_norm_adds_scale_and_shift_per_channel) {
  EXPECT_EQ(parameter_count(*make("batch_norm")), 93322u + 2 * 32 + 2 * 64);
}

TEST(book_models, every_model_maps_images_to_ten_logits) {
  for (auto name : {"cnn", "dropout", "batch_norm"}) {
    auto m = make(name);
    m->eval();
    auto out = m->forward(torch::zeros({3, 1, 28, 28}));
    EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{3, 10})) << name;
  }
}

TEST(book_models, layer_shapes_follow_the_book) {
  auto m = make("cnn");
  std::map<std::string, std::vector<int64_t>> shapes;
  for (auto& p : m->named_parameters())
    shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes["conv1.weight"], (std::vector<int64_t>{32, 1, 3, 3}));
  EXPECT_EQ(shapes["conv2.weight"], (std::vector<int64_t>{64, 32, 3, 3}));
  EXPECT_EQ(shapes["conv3.weight"], (std::vector<int64_t>{64, 64, 3, 3}));
  EXPECT_EQ(shapes["dense1.weight"], (std::vector<int64_t>{64, 576}));
  EXPECT_EQ(shapes["dense2.weight"], (std::vector<int64_t>{10, 64}));
}

TEST(model_registry, users_register_their_own_architectures) {
  model_registry reg;
  EXPECT_FALSE(reg.create("tiny"));
  EXPECT_FALSE(reg.add("tiny", [] { return std::make_shared<tiny>(); }));
  auto err = reg.add("tiny", [] { return std::make_shared<tiny>(); });
  EXPECT_EQ(err, model_errc::duplicate_architecture);
  auto m = reg.create("tiny");
  ASSERT_TRUE(m);
  EXPECT_EQ(parameter_count(**m), 7850u);
  auto unknown = reg.create("resnet");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), model_errc::unknown_architecture);
}

TEST(model_registry, the_global_registry_knows_the_book_models) {
  auto names = architecture_names();
  for (auto name : {"cnn", "dropout", "batch_norm"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}
