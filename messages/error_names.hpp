// Lets each subsystem teach dmlp::describe() the names of its error codes, so that logs and
// the CLI print "supervision.restart_intensity_exceeded" instead of a number.
// Thread-safe; subsystems register once while configuring their actor system.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/atom.hpp>

namespace dmlp {

/// Maps a numeric code of one error category to its name.
using code_namer = std::function<std::string(uint8_t)>;

/// Registers the code names of `category` for describe().
void add_error_names(caf::atom_value category, code_namer namer);

} // namespace dmlp
