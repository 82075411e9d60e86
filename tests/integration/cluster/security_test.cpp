// Cluster security with real dmlp-node processes: a node with a wrong join token is refused
// (and the refusal logged), a TLS cluster forms with certificates of its CA, and a node whose
// certificate another CA signed never gets in, while the legitimate TLS connections stay up
// through its refused handshakes; bad certificate files are refused at start; `dmlp chaos
// kill --config` kills a role actor of a TLS cluster, which its supervisor starts again.
#include <gtest/gtest.h>

#include "runtime/cluster/cluster_errors.hpp"
#include "tests/chaos/cluster/cluster_harness.hpp"
#include "tests/support/shell.hpp"

using namespace dmlp;
using namespace dmlp::testing;
using ms = std::chrono::milliseconds;

TEST(cluster_security, wrong_join_token_is_refused_and_logged) {
  cluster_harness h{3, 0, 4};
  h.write();
  {
    // worker-2 presents another token.
    std::ofstream wrong{h.dir() + "/wrong-token"};
    wrong << "not-the-cluster-token\n";
  }
  auto& w2 = h.node("worker-2");
  {
    std::ifstream in{w2.config};
    std::stringstream text;
    text << in.rdbuf();
    auto yaml = text.str();
    auto at = yaml.find("token_file: ");
    auto end = yaml.find('\n', at);
    yaml.replace(at, end - at, "token_file: " + h.dir() + "/wrong-token");
    std::ofstream out{w2.config};
    out << yaml;
  }
  for (auto& name : {"head", "worker-1", "worker-2"})
    ASSERT_FALSE(runtime::launch_node(h.dir(), h.options().node_binary, h.node(name)));
  ASSERT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 2; }, ms{10000}));
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] { return h.log_contains("head", "refused join of worker-2 (127.0.0.1:"); }, ms{10000}));
  EXPECT_TRUE(
      cluster_harness::wait_for([&] { return h.log_contains("worker-2", "bad_token"); }, ms{5000}));
  EXPECT_EQ(h.up_count("head"), 2u);
  auto member = h.member("head", "worker-1");
  EXPECT_GT(member.memory_mb, 0u) << "node.memory_mb 0 must advertise the detected memory";
  EXPECT_GE(member.cpus, 1u);
  EXPECT_EQ(h.member("head", "worker-2").epoch, 0u) << "worker-2 must not be a member";
  // A first connect to the refused node fails now and then (about 1 in 75 runs: ip_connect
  // failed or connection_timeout, with worker-2 up and listening); ask until it answers.
  caf::expected<cluster_status> alone = caf::error{};
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] { return static_cast<bool>(alone = h.status("worker-2")); }, ms{5000}))
      << "status of worker-2: " << caf::to_string(alone.error());
  EXPECT_EQ(alone->nodes.size(), 1u) << "worker-2 must stay alone";
}

TEST(cluster_security, tls_cluster_forms_with_certificates_of_its_ca) {
  cluster_harness probe{1, 0, 5};
  auto certs = dev_certs(probe.options().dir + "-certs", "head worker-1 client");
  cluster_harness h{2, 0, 5, client_tls(certs)};
  h.write();
  h.append_config("head", tls_yaml(certs, "head"));
  h.append_config("worker-1", tls_yaml(certs, "worker-1"));
  h.launch_all(ms{15000});
  auto epoch = h.member("head", "worker-1").epoch;
  // Twenty more heartbeats of worker-1 reach the head over TLS, same incarnation throughout.
  auto hb = h.options().heartbeat_interval;
  auto until = std::chrono::steady_clock::now() + 20 * hb;
  EXPECT_FALSE(cluster_harness::wait_for(
      [&] {
        return h.member("head", "worker-1").epoch != epoch ||
               h.member("head", "worker-1").state != member_state::up;
      },
      std::chrono::duration_cast<ms>(until - std::chrono::steady_clock::now())));
  EXPECT_FALSE(h.log_contains("head", "lost connection"));
}

TEST(cluster_security, tls_node_with_a_foreign_certificate_is_refused_and_nobody_else_drops) {
  ASSERT_TRUE(runtime::tls_error_queue_guarded()) << "the OpenSSL error-queue repair is not linked";
  cluster_harness probe{1, 0, 7};
  auto certs = dev_certs(probe.options().dir + "-certs", "head worker-1 client");
  auto rogue = dev_certs(probe.options().dir + "-rogue", "worker-2");
  cluster_harness h{3, 0, 7, client_tls(certs)};
  h.write();
  h.append_config("head", tls_yaml(certs, "head"));
  h.append_config("worker-1", tls_yaml(certs, "worker-1"));
  // worker-2's own files are consistent (its CA signed its cert) but not the cluster's CA.
  h.append_config("worker-2", tls_yaml(rogue, "worker-2"));
  for (auto& name : {"head", "worker-1"})
    ASSERT_FALSE(runtime::launch_node(h.dir(), h.options().node_binary, h.node(name)));
  ASSERT_TRUE(cluster_harness::wait_for([&] { return h.up_count("head") == 2; }, ms{15000}));
  auto epoch = h.member("head", "worker-1").epoch;
  ASSERT_FALSE(runtime::launch_node(h.dir(), h.options().node_binary, h.node("worker-2")));
  // CAF reports the refusal as disconnect_during_handshake or cannot_connect_to_node.
  ASSERT_TRUE(cluster_harness::wait_for(
      [&] { return h.log_contains("worker-2", "failed: cannot connect"); }, ms{10000}));
  // The rogue retries every seed_retry (500 ms): each try is one refused handshake at the
  // head. CAF 0.17 alone dropped worker-1's established connection after the first one.
  auto until = std::chrono::steady_clock::now() + ms{3000};
  EXPECT_FALSE(cluster_harness::wait_for(
      [&] {
        auto m = h.member("head", "worker-1");
        return m.epoch != epoch || m.state != member_state::up;
      },
      std::chrono::duration_cast<ms>(until - std::chrono::steady_clock::now())))
      << "worker-1 dropped while a foreign certificate knocked; logs in " << h.dir();
  EXPECT_FALSE(h.log_contains("head", "lost connection to node worker-1"));
  EXPECT_FALSE(h.log_contains("worker-1", "rejoining as incarnation"));
  EXPECT_EQ(h.up_count("head"), 2u);
  EXPECT_EQ(h.member("head", "worker-2").epoch, 0u) << "foreign certificate got in";
  EXPECT_TRUE(runtime::process_alive(h.node("head").pid)) << "head died on a bad handshake";
}

TEST(cluster_security, bad_certificate_files_are_refused_before_start) {
  cluster_harness probe{1, 0, 6};
  auto certs = dev_certs(probe.options().dir + "-certs", "head");
  auto rogue = dev_certs(probe.options().dir + "-rogue", "head");
  runtime::tls_options tls{true, certs + "/ca.pem", rogue + "/head.pem", rogue + "/head.key", ""};
  auto err = runtime::validate_tls_files(tls);
  ASSERT_TRUE(err);
  EXPECT_EQ(err, runtime::cluster_errc::bad_certificate);
  tls.certificate = certs + "/head.pem";
  EXPECT_TRUE(runtime::validate_tls_files(tls)) << "key of another certificate accepted";
  tls.key = certs + "/head.key";
  EXPECT_FALSE(runtime::validate_tls_files(tls));
  tls.ca = certs + "/head.key";
  EXPECT_TRUE(runtime::validate_tls_files(tls)) << "a key file accepted as CA";
}

TEST(cluster_security, chaos_kill_with_config_reaches_a_tls_cluster) {
  auto cluster = cluster_harness::start_tls(2, 8, 2);
  auto& h = *cluster;
  auto squarer_starts = [&] {
    return h.role_starts("head", "squarer") + h.role_starts("worker-1", "squarer");
  };
  ASSERT_TRUE(cluster_harness::wait_for([&] { return squarer_starts() >= 2; }, ms{15000}))
      << "no squarers started; logs in " << h.dir();
  auto before = squarer_starts();
  auto chaos = build_binary("dmlp") + " chaos kill --seeds " + h.node("head").address +
               " --random --role squarer --seed 3";

  auto plaintext = run_shell(chaos);
  EXPECT_EQ(plaintext.code, 1) << plaintext.out;
  auto killed = run_shell(chaos + " --config " + h.client_yaml() + " --json", false);
  ASSERT_EQ(killed.code, 0) << killed.out;
  auto result = last_json_line(killed.out);
  ASSERT_TRUE(result.is_object()) << killed.out;
  EXPECT_NE(result["killed"].get<std::string>().find("squarer"), std::string::npos) << killed.out;
  EXPECT_EQ(result["reason"], "kill");
  // Its supervisor starts it again, over the same TLS connections.
  EXPECT_TRUE(cluster_harness::wait_for([&] { return squarer_starts() >= before + 1; }, ms{15000}))
      << "killed squarer not restarted; logs in " << h.dir();
  EXPECT_EQ(h.up_count("head"), 2u);
}
