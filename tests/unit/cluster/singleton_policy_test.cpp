// The cluster singleton policy (runtime/cluster/singleton_policy.hpp) over hand-built views.
#include <gtest/gtest.h>

#include "runtime/cluster/singleton_policy.hpp"

using namespace dmlp;
using namespace dmlp::runtime;

namespace {

const std::string keeper = "workload=keeper";

member_info member(std::string name, member_state state = member_state::up,
                   std::vector<std::string> labels = {keeper}) {
  member_info m;
  m.name = std::move(name);
  m.state = state;
  m.labels = std::move(labels);
  return m;
}

singleton_view view_of(std::string self, std::vector<member_info> members,
                       std::vector<std::string> hosts = {}, bool hosting = false) {
  singleton_view v;
  v.self = std::move(self);
  v.hosting = hosting;
  v.settled = true;
  v.members = std::move(members);
  for (auto& h : hosts)
    v.names.push_back(cluster_name{"workload", {}, h});
  return v;
}

singleton_action decide(const singleton_view& v) {
  return decide_singleton("workload", keeper, v);
}

} // namespace

TEST(singleton_policy, the_lowest_named_up_candidate_starts_it) {
  std::vector<member_info> all{member("head"), member("worker-1"), member("worker-2")};
  EXPECT_EQ(decide(view_of("head", all)), singleton_action::start);
  EXPECT_EQ(decide(view_of("worker-1", all)), singleton_action::stand_by);
}

TEST(singleton_policy, nobody_starts_while_a_live_node_hosts_it) {
  std::vector<member_info> all{member("head"), member("worker-1")};
  EXPECT_EQ(decide(view_of("head", all, {"worker-1"})), singleton_action::stand_by);
  all[1].state = member_state::suspect;
  EXPECT_EQ(decide(view_of("head", all, {"worker-1"})), singleton_action::stand_by);
}

TEST(singleton_policy, the_next_candidate_takes_over_from_a_down_host) {
  std::vector<member_info> all{member("head", member_state::down), member("worker-1"),
                               member("worker-2")};
  EXPECT_EQ(decide(view_of("worker-1", all, {"head"})), singleton_action::start);
  EXPECT_EQ(decide(view_of("worker-2", all, {"head"})), singleton_action::stand_by);
}

TEST(singleton_policy, nodes_without_the_label_never_count) {
  std::vector<member_info> all{member("head", member_state::up, {"role=head"}), member("worker-1")};
  EXPECT_EQ(decide(view_of("worker-1", all)), singleton_action::start);
  EXPECT_EQ(decide(view_of("head", all)), singleton_action::stand_by);
}

TEST(singleton_policy, of_two_hosts_the_lower_name_keeps_it) {
  std::vector<member_info> all{member("head"), member("worker-1")};
  EXPECT_EQ(decide(view_of("worker-1", all, {"head", "worker-1"}, true)), singleton_action::stop);
  EXPECT_EQ(decide(view_of("head", all, {"head", "worker-1"}, true)), singleton_action::keep);
  EXPECT_EQ(decide(view_of("worker-1", all, {"worker-1"}, true)), singleton_action::keep);
}

TEST(singleton_policy, an_unsettled_node_waits) {
  auto v = view_of("head", {member("head")});
  v.settled = false;
  EXPECT_EQ(decide(v), singleton_action::stand_by);
  v.settled = true;
  EXPECT_EQ(decide(v), singleton_action::start);
}
