#include "messages/cluster.hpp"

namespace dmlp {

std::string to_string(member_state state) {
  switch (state) {
    case member_state::joining:
      return "joining";
    case member_state::up:
      return "up";
    case member_state::suspect:
      return "suspect";
    case member_state::down:
      return "down";
    case member_state::left:
      return "left";
  }
  return "unknown";
}

} // namespace dmlp
