// Rate limiting per client class and the tokens file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "actors/serving/errors.hpp"
#include "actors/serving/rate_limiter.hpp"

using namespace dmlp::serving;

TEST(rate_limiter, limits_each_class_separately) {
  rate_limit_options o;
  o.anonymous_concurrency = 2;
  o.authenticated_concurrency = 3;
  o.tokens = {"secret"};
  rate_limiter limiter{o};
  auto v = limiter.classify("Bearer secret");
  EXPECT_TRUE(v.authenticated_ok);
  EXPECT_EQ(v.cls, client_class::authenticated);
  EXPECT_EQ(limiter.classify("").cls, client_class::anonymous);
  EXPECT_FALSE(limiter.classify("Bearer wrong").authenticated_ok);
  EXPECT_FALSE(limiter.classify("Basic abc").authenticated_ok);
  auto a1 = limiter.try_acquire(client_class::anonymous);
  auto a2 = limiter.try_acquire(client_class::anonymous);
  EXPECT_TRUE(a1 && a2);
  EXPECT_FALSE(limiter.try_acquire(client_class::anonymous));
  std::vector<std::unique_ptr<rate_limiter::permit>> auth;
  for (int i = 0; i < 3; ++i)
    auth.push_back(limiter.try_acquire(client_class::authenticated));
  for (auto& p : auth)
    EXPECT_TRUE(p);
  EXPECT_FALSE(limiter.try_acquire(client_class::authenticated));
  a1.reset();
  EXPECT_EQ(limiter.in_use(client_class::anonymous), 1u);
  EXPECT_TRUE(limiter.try_acquire(client_class::anonymous));
}

TEST(rate_limiter, zero_means_unlimited) {
  rate_limiter limiter{rate_limit_options{}};
  std::vector<std::unique_ptr<rate_limiter::permit>> permits;
  for (int i = 0; i < 100; ++i)
    permits.push_back(limiter.try_acquire(client_class::anonymous));
  EXPECT_TRUE(permits.back());
}

TEST(rate_limiter, reads_the_tokens_file_strictly) {
  auto dir = std::filesystem::temp_directory_path() / ("dmlp-tokens-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& text) {
    std::ofstream{dir / "tokens.yaml"} << text;
    return read_tokens_file((dir / "tokens.yaml").string());
  };
  auto ok = write("anonymous_concurrency: 2\nauthenticated_concurrency: 3\ntokens: [a, b]\n");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->anonymous_concurrency, 2u);
  EXPECT_EQ(ok->tokens.size(), 2u);
  EXPECT_EQ(write("tokens: [a]\nlimit: 3\n").error(), serving_errc::bad_tokens_file);
  EXPECT_EQ(write("anonymous_concurrency: 2\n").error(), serving_errc::bad_tokens_file);
  EXPECT_EQ(write("tokens: [\"a b\"]\n").error(), serving_errc::bad_tokens_file);
  EXPECT_EQ(read_tokens_file((dir / "missing.yaml").string()).error(),
            serving_errc::bad_tokens_file);
  std::filesystem::remove_all(dir);
}
