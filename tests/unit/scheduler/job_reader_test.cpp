// Job files (actors/scheduler/job_reader.hpp): a complete file reads into the job_spec the
// scheduler gets; every mistake is an error that names the file and the key path.
#include <gtest/gtest.h>

#include "actors/scheduler/job_reader.hpp"
#include "messages/errors.hpp"
#include "runtime/config.hpp"

using namespace dmlp;
using namespace dmlp::scheduler;

namespace {

caf::expected<job_spec> read(const std::string& text) {
  auto reader = runtime::config_reader::from_string(text, "job.yaml");
  if (!reader)
    return reader.error();
  job_spec spec;
  if (auto err = read_job_spec(*reader, spec))
    return err;
  if (auto err = reader->finish())
    return err;
  return spec;
}

std::string error_of(const std::string& text) {
  auto spec = read(text);
  EXPECT_FALSE(spec) << text;
  return spec ? "" : describe(spec.error());
}

TEST(job_reader, reads_a_whole_job) {
  auto spec = read(R"(
id: train-a
user: alice
group: vision
priority: -3
roles:
  - {role: trainer, cpus: 1.5, memory_mb: 512, gpus: 1, selector: [role=trainer, zone=a], min: 2, max: 4}
  - {role: ps, cpus: 1}
)");
  ASSERT_TRUE(spec) << describe(spec.error());
  EXPECT_EQ(spec->id, "train-a");
  EXPECT_EQ(spec->user, "alice");
  EXPECT_EQ(spec->group, "vision");
  EXPECT_EQ(spec->priority, -3);
  ASSERT_EQ(spec->roles.size(), 2u);
  const auto& trainer = spec->roles[0];
  EXPECT_EQ(trainer.role, "trainer");
  EXPECT_DOUBLE_EQ(trainer.per_instance.cpus, 1.5);
  EXPECT_DOUBLE_EQ(trainer.per_instance.memory_mb, 512);
  EXPECT_DOUBLE_EQ(trainer.per_instance.gpus, 1);
  EXPECT_EQ(trainer.selector,
            (std::map<std::string, std::string>{{"role", "trainer"}, {"zone", "a"}}));
  EXPECT_EQ(trainer.min, 2u);
  EXPECT_EQ(trainer.max, 4u);
  EXPECT_EQ(spec->roles[1].min, 1u);
  EXPECT_EQ(spec->roles[1].max, 1u) << "max defaults to min";
}

TEST(job_reader, name_is_the_id_and_owner_defaults) {
  auto spec = read("name: j\nroles: [{role: trainer}]\n");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->id, "j");
  EXPECT_EQ(spec->user, "default");
  EXPECT_EQ(spec->group, "default");
}

TEST(job_reader, errors_name_the_file_and_key_path) {
  EXPECT_NE(error_of("id: j\n").find("job.yaml: roles: required key is missing"),
            std::string::npos);
  EXPECT_NE(error_of("roles: []\n").find("job.yaml: roles: needs at least one role"),
            std::string::npos);
  EXPECT_NE(error_of("roles: {role: x}\n").find("job.yaml: roles: expected a list"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t}, {role: p, min: 3, max: 2}]\n")
                .find("job.yaml: roles[1].max: must be at least min"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t, cpus: -1}]\n").find("job.yaml: roles[0].cpus"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t, selector: [trainer]}]\n")
                .find("job.yaml: roles[0].selector: expected labels like role=trainer"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t, cpu: 1}]\n").find("job.yaml: roles[0].cpu: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{cpus: 1}]\n").find("job.yaml: roles[0].role: required key"),
            std::string::npos);
  EXPECT_NE(error_of("id: a\nname: b\nroles: [{role: t}]\n").find("either id or name"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t}]\nprio: 1\n").find("job.yaml: prio: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("roles: [{role: t, min: many}]\n").find("job.yaml: roles[0].min"),
            std::string::npos);
}

TEST(job_reader, bad_yaml_is_an_error_not_a_crash) {
  EXPECT_NE(error_of("roles: [{role: t\n").find("job.yaml"), std::string::npos);
}

} // namespace
