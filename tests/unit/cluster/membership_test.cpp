// Deterministic tests of the membership table and failure detector (fake clock) and of the
// placement policy (hand-built member lists).
#include <gtest/gtest.h>

#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/cluster/cluster_view.hpp"
#include "runtime/cluster/membership.hpp"
#include "runtime/cluster/node_options.hpp"
#include "runtime/cluster/placement.hpp"

using namespace dmlp;
using namespace dmlp::runtime;
using namespace std::chrono_literals;

namespace {

using tp = membership::time_point;

member_info node(std::string name, uint64_t epoch, std::vector<std::string> labels = {},
                 uint32_t hosted = 0) {
  member_info m;
  m.name = std::move(name);
  m.host = "127.0.0.1";
  m.port = 7100;
  m.epoch = epoch;
  m.state = member_state::up;
  m.labels = std::move(labels);
  m.hosted = hosted;
  return m;
}

struct membership_fixture : ::testing::Test {
  tp t0{};
  failure_detector_options opts;
  membership table{node("a", 1), opts, t0};

  member_state state_of(const std::string& name) { return table.find(name)->state; }
  std::vector<membership_event> beat(const member_info& m, tp at) {
    std::vector<membership_event> events;
    table.heartbeat(m, {}, at, events);
    return events;
  }
};

} // namespace

TEST_F(membership_fixture, admitted_node_is_up_and_reported) {
  auto events = table.admit(node("b", 7), t0);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].node.name, "b");
  EXPECT_EQ(events[0].node.state, member_state::up);
  EXPECT_EQ(table.members().size(), 2u);
  EXPECT_EQ(table.up_members().size(), 2u);
}

TEST_F(membership_fixture, silence_makes_suspect_then_down_at_the_configured_times) {
  table.admit(node("b", 7), t0);
  EXPECT_TRUE(table.tick(t0 + 599ms).empty());
  auto suspect = table.tick(t0 + 600ms);
  ASSERT_EQ(suspect.size(), 1u);
  EXPECT_EQ(suspect[0].node.state, member_state::suspect);
  EXPECT_TRUE(table.tick(t0 + 1199ms).empty());
  auto down = table.tick(t0 + 1200ms);
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].node.state, member_state::down);
  EXPECT_EQ(down[0].previous, member_state::suspect);
}

TEST_F(membership_fixture, heartbeats_keep_a_member_up_and_clear_suspicion) {
  table.admit(node("b", 7), t0);
  for (int i = 1; i <= 20; ++i) {
    beat(node("b", 7), t0 + i * 200ms);
    EXPECT_TRUE(table.tick(t0 + i * 200ms + 100ms).empty());
  }
  table.tick(t0 + 4000ms + 700ms);
  EXPECT_EQ(state_of("b"), member_state::suspect);
  auto back = beat(node("b", 7), t0 + 4000ms + 800ms);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].node.state, member_state::up);
}

TEST_F(membership_fixture, down_is_final_and_the_old_incarnation_is_stale) {
  table.admit(node("b", 7), t0);
  table.tick(t0 + 2s);
  EXPECT_EQ(state_of("b"), member_state::down);
  std::vector<membership_event> events;
  EXPECT_EQ(table.heartbeat(node("b", 7), {}, t0 + 3s, events), membership::verdict::stale);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(state_of("b"), member_state::down);
  EXPECT_TRUE(table.admit(node("b", 7), t0 + 3s).empty());
  // A new incarnation of b is let in.
  table.admit(node("b", 8), t0 + 3s);
  EXPECT_EQ(state_of("b"), member_state::up);
  EXPECT_EQ(table.find("b")->epoch, 8u);
}

TEST_F(membership_fixture, new_incarnation_replaces_a_live_old_one) {
  table.admit(node("b", 7), t0);
  auto events = table.admit(node("b", 9), t0 + 100ms);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].node.epoch, 7u);
  EXPECT_EQ(events[0].node.state, member_state::down);
  EXPECT_EQ(events[1].node.epoch, 9u);
  EXPECT_TRUE(table.is_final("b", 7));
}

TEST_F(membership_fixture, strangers_cannot_enter_by_heartbeat) {
  std::vector<membership_event> events;
  EXPECT_EQ(table.heartbeat(node("x", 5), {}, t0, events), membership::verdict::unknown);
  EXPECT_EQ(table.find("x"), nullptr);
}

TEST_F(membership_fixture, gossip_adds_joining_nodes_that_turn_up_on_their_own_heartbeat) {
  table.admit(node("b", 7), t0);
  std::vector<membership_event> events;
  table.merge({node("b", 7), node("c", 3)}, t0, events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(state_of("c"), member_state::joining);
  beat(node("c", 3), t0 + 100ms);
  EXPECT_EQ(state_of("c"), member_state::up);
}

TEST_F(membership_fixture, gossip_of_a_down_member_is_applied_and_of_self_down_is_noticed) {
  table.admit(node("b", 7), t0);
  table.admit(node("c", 3), t0);
  auto down_c = node("c", 3);
  down_c.state = member_state::down;
  auto down_a = node("a", 1);
  down_a.state = member_state::down;
  std::vector<membership_event> events;
  table.merge({down_c}, t0 + 10ms, events);
  EXPECT_EQ(state_of("c"), member_state::down);
  EXPECT_FALSE(table.self_declared_down());
  table.merge({down_a}, t0 + 20ms, events);
  EXPECT_TRUE(table.self_declared_down());
  table.reincarnate(2, t0 + 30ms);
  EXPECT_FALSE(table.self_declared_down());
  EXPECT_EQ(table.self().epoch, 2u);
  EXPECT_EQ(table.members().size(), 1u);
}

TEST_F(membership_fixture, a_new_incarnation_accepts_members_its_old_one_declared_down) {
  // A partition: this side declared b down, b's side declared this incarnation down.
  table.admit(node("b", 7), t0);
  table.tick(t0 + opts.down_after);
  ASSERT_TRUE(table.is_final("b", 7));
  table.reincarnate(2, t0 + 2s);
  EXPECT_TRUE(table.is_final("a", 1)) << "the old incarnation of this node stays final";
  EXPECT_FALSE(table.is_final("b", 7));
  auto events = table.admit(node("b", 7), t0 + 2s);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(state_of("b"), member_state::up);
  std::vector<membership_event> more;
  EXPECT_EQ(table.heartbeat(node("b", 7), {}, t0 + 2100ms, more), membership::verdict::accepted);
}

TEST_F(membership_fixture, names_of_dead_nodes_disappear) {
  table.admit(node("b", 7), t0);
  table.set_self_names({cluster_name{"mine", {}, "a"}});
  std::vector<membership_event> events;
  table.heartbeat(node("b", 7), {cluster_name{"theirs", {}, "b"}}, t0 + 100ms, events);
  EXPECT_EQ(table.names().size(), 2u);
  table.mark_down("b", 7, t0 + 200ms);
  ASSERT_EQ(table.names().size(), 1u);
  EXPECT_EQ(table.names()[0].name, "mine");
}

TEST_F(membership_fixture, left_members_are_forgotten_after_forget_after) {
  table.admit(node("b", 7), t0);
  auto left = table.mark_left("b", 7, t0 + 1s);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].node.state, member_state::left);
  table.tick(t0 + 1s + opts.forget_after);
  EXPECT_EQ(table.find("b"), nullptr);
  EXPECT_TRUE(table.is_final("b", 7));
}

TEST(placement_policy, picks_by_label_least_loaded_and_avoids_the_last_node) {
  std::vector<member_info> members{
      node("head", 1, {"role=head"}), node("w1", 2, {"role=worker"}, 2),
      node("w2", 3, {"role=worker"}, 1), node("w3", 4, {"role=worker"}, 1)};
  members[3].state = member_state::suspect;
  auto where = placement::with_label("role=worker");
  auto pick = choose_node(members, where);
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->name, "w2");
  pick = choose_node(members, where, "w2");
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->name, "w1");
  members[1].state = member_state::down;
  pick = choose_node(members, where, "w2");
  ASSERT_TRUE(pick);
  EXPECT_EQ(pick->name, "w2");
  members[2].state = member_state::down;
  auto none = choose_node(members, where);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), cluster_errc::no_eligible_node);
}

TEST(placement_policy, a_noted_spawn_outlives_snapshots_that_predate_it) {
  std::vector<member_info> members{node("w1", 1, {"role=worker"}), node("w2", 2, {"role=worker"})};
  auto where = placement::with_label("role=worker");
  cluster_view view{"client", std::make_shared<role_registry>()};
  view.update(members);
  view.note_spawn(choose_node(view.members(), where)->name);
  // The next snapshot left before w1's heartbeat reported the child: the second goes to w2.
  view.update(members);
  EXPECT_EQ(choose_node(view.members(), where)->name, "w2");
  // Without the grace period the stale snapshot would win.
  cluster_view forgetful{"client", std::make_shared<role_registry>(), std::chrono::seconds{0}};
  forgetful.update(members);
  forgetful.note_spawn("w1");
  EXPECT_EQ(choose_node(forgetful.members(), where)->name, "w2");
  forgetful.update(members);
  EXPECT_EQ(choose_node(forgetful.members(), where)->name, "w1");
}

TEST(placement_policy, by_node_by_function_and_parsing) {
  std::vector<member_info> members{node("a", 1), node("b", 2)};
  EXPECT_EQ(choose_node(members, placement::on_node("b"))->name, "b");
  EXPECT_FALSE(choose_node(members, placement::on_node("zz")));
  auto last = placement::by([](const std::vector<member_info>& live) {
    return std::optional<std::string>{live.back().name};
  });
  EXPECT_EQ(choose_node(members, last)->name, "b");
  EXPECT_EQ(parse_placement("label:gpu=1")->value, "gpu=1");
  EXPECT_EQ(parse_placement("node:x")->how, placement::kind::node);
  EXPECT_FALSE(parse_placement("somewhere"));
}

TEST(node_options_parsing, addresses_and_missing_tls_files) {
  auto a = parse_address("127.0.0.1:7100");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->second, 7100);
  EXPECT_FALSE(parse_address("nohost"));
  EXPECT_FALSE(parse_address("h:0"));
  EXPECT_FALSE(parse_address("h:99999"));
  tls_options tls;
  tls.enabled = true;
  tls.ca = "/nonexistent/ca.pem";
  tls.certificate = "/nonexistent/node.pem";
  tls.key = "/nonexistent/node.key";
  auto err = validate_tls_files(tls);
  ASSERT_TRUE(err);
  EXPECT_EQ(err, cluster_errc::bad_certificate);
}
