// The IDX reader and the IDX dataset: the real Fashion-MNIST files parse with the right counts
// and label histogram, and each kind of damaged file gets its own error naming the file.
#include <array>

#include <gtest/gtest.h>

#include "actors/ingest/dataset.hpp"
#include "actors/ingest/idx_reader.hpp"
#include "messages/errors.hpp"
#include "messages/ingest_errors.hpp"
#include "tests/unit/ingest/idx_fixture.hpp"

using namespace dmlp;
using namespace dmlp::ingest;
using dmlp::ingest::fixture::temp_dir;

namespace {

const std::string fashion = "/usr/share/datasets/fashion-mnist";

void expect_error(const caf::error& err, ingest_errc code, const std::string& path,
                  const std::string& words) {
  register_ingest_error_names();
  ASSERT_TRUE(err);
  auto text = describe(err);
  EXPECT_EQ(err.category(), caf::atom("ingest")) << text;
  EXPECT_EQ(err.code(), static_cast<uint8_t>(code)) << text;
  EXPECT_NE(text.find("ingest." + to_string(code)), std::string::npos) << text;
  EXPECT_NE(text.find(path), std::string::npos) << text;
  EXPECT_NE(text.find(words), std::string::npos) << text;
}

} // namespace

TEST(idx_reader, real_fashion_mnist_parses_with_known_histogram) {
  auto train = read_idx_split(fashion + "/train-images-idx3-ubyte.gz",
                              fashion + "/train-labels-idx1-ubyte.gz", 10);
  ASSERT_TRUE(train) << describe(train.error());
  EXPECT_EQ(train->count, 60000u);
  EXPECT_EQ(train->height, 28u);
  EXPECT_EQ(train->width, 28u);
  EXPECT_EQ(train->pixels.size(), 60000u * 784u);
  std::array<uint64_t, 10> histogram{};
  for (auto label : train->labels)
    ++histogram[label];
  for (auto count : histogram)
    EXPECT_EQ(count, 6000u);
  auto test = read_idx_split(fashion + "/t10k-images-idx3-ubyte.gz",
                             fashion + "/t10k-labels-idx1-ubyte.gz", 10);
  ASSERT_TRUE(test) << describe(test.error());
  EXPECT_EQ(test->count, 10000u);
  histogram.fill(0);
  for (auto label : test->labels)
    ++histogram[label];
  for (auto count : histogram)
    EXPECT_EQ(count, 1000u);
}

TEST(idx_reader, dataset_interface_preprocesses_to_unit_range) {
  auto source = make_dataset(dataset_options{"fashion-mnist", fashion});
  ASSERT_TRUE(source);
  auto content = (*source)->load(preprocessing{});
  ASSERT_TRUE(content) << describe(content.error());
  EXPECT_EQ(content->train.count, 60000u);
  EXPECT_EQ(content->test.count, 10000u);
  float lo = 1, hi = 0;
  for (size_t i = 0; i < 784 * 100; ++i) {
    lo = std::min(lo, content->train.pixels[i]);
    hi = std::max(hi, content->train.pixels[i]);
  }
  EXPECT_GE(lo, 0.0f);
  EXPECT_LE(hi, 1.0f);
  EXPECT_GT(hi, 0.9f);
}

TEST(idx_reader, wrong_magic_is_reported) {
  temp_dir dir;
  auto path = dir / "images.gz";
  fixture::write_bytes(
      path, fixture::gzip(fixture::idx_bytes({2, 28, 28}, std::vector<uint8_t>(2 * 784), 0x0D)));
  auto result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::bad_magic, path, "magic 0x00000d03");
  // A label file where an image file belongs: right type, wrong rank.
  fixture::write_bytes(path, fixture::idx_bytes({4}, std::vector<uint8_t>(4)));
  result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::bad_magic, path, "expected 0x00000803");
}

TEST(idx_reader, short_data_is_reported) {
  temp_dir dir;
  auto path = dir / "images.gz";
  fixture::write_bytes(
      path, fixture::gzip(fixture::idx_bytes({3, 28, 28}, std::vector<uint8_t>(3 * 784 - 10))));
  auto result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::short_data, path,
               "3x28x28 = 2352 data bytes, file has 2342");
  fixture::write_bytes(path, {0, 0, 8, 3, 0, 0});
  result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::short_data, path, "header needs 16 bytes");
}

TEST(idx_reader, zero_dimension_is_reported) {
  temp_dir dir;
  auto path = dir / "images";
  fixture::write_bytes(path, fixture::idx_bytes({2, 0, 28}, {}));
  auto result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::bad_dimensions, path, "dimension 1 is 0");
}

TEST(idx_reader, count_mismatch_is_reported) {
  temp_dir dir;
  fixture::write_split(dir.str(), "train", 20);
  auto labels = dir / "train-labels-idx1-ubyte.gz";
  fixture::write_bytes(labels, fixture::gzip(fixture::idx_bytes({19}, std::vector<uint8_t>(19))));
  auto result = read_idx_split(dir / "train-images-idx3-ubyte.gz", labels, 10);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::count_mismatch, labels, "19 labels for 20 images");
}

TEST(idx_reader, label_out_of_range_is_reported) {
  temp_dir dir;
  fixture::write_split(dir.str(), "train", 3);
  auto labels = dir / "train-labels-idx1-ubyte.gz";
  fixture::write_bytes(labels, fixture::gzip(fixture::idx_bytes({3}, {1, 12, 3})));
  auto result = read_idx_split(dir / "train-images-idx3-ubyte.gz", labels, 10);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::bad_label, labels, "label 12 of item 1");
}

TEST(idx_reader, truncated_gzip_is_reported) {
  temp_dir dir;
  auto path = dir / "images.gz";
  auto full = fixture::gzip(fixture::idx_bytes({50, 28, 28}, std::vector<uint8_t>(50 * 784, 7)));
  full.resize(full.size() / 2);
  fixture::write_bytes(path, full);
  auto result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::corrupt_gzip, path, "truncated gzip stream");
}

TEST(idx_reader, corrupt_gzip_is_reported) {
  temp_dir dir;
  auto path = dir / "images.gz";
  std::vector<uint8_t> pixels(20 * 784);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<uint8_t>(i * 31);
  auto bytes = fixture::gzip(fixture::idx_bytes({20, 28, 28}, pixels));
  bytes[bytes.size() - 6] ^= 0xFF; // inside the CRC-32 trailer
  fixture::write_bytes(path, bytes);
  auto result = read_idx_file(path, 3);
  ASSERT_FALSE(result);
  expect_error(result.error(), ingest_errc::corrupt_gzip, path, "corrupt gzip stream");
}

TEST(idx_reader, missing_file_and_unknown_dataset_are_reported) {
  temp_dir dir;
  auto source = make_dataset(dataset_options{"fashion-mnist", dir / "nowhere"});
  ASSERT_TRUE(source);
  auto content = (*source)->load(preprocessing{});
  ASSERT_FALSE(content);
  expect_error(content.error(), ingest_errc::file_unreadable, dir / "nowhere", "No such file");
  auto unknown = make_dataset(dataset_options{"cifar", ""});
  ASSERT_FALSE(unknown);
  expect_error(unknown.error(), ingest_errc::unknown_dataset, "cifar", "known: fashion-mnist");
}
