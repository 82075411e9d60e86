#include "messages/ingest_errors.hpp"

#include "messages/error_names.hpp"
#include "messages/register.hpp"

namespace dmlp::ingest {

std::string to_string(ingest_errc code) {
  switch (code) {
    case ingest_errc::file_unreadable:
      return "file_unreadable";
    case ingest_errc::corrupt_gzip:
      return "corrupt_gzip";
    case ingest_errc::bad_magic:
      return "bad_magic";
    case ingest_errc::bad_dimensions:
      return "bad_dimensions";
    case ingest_errc::short_data:
      return "short_data";
    case ingest_errc::count_mismatch:
      return "count_mismatch";
    case ingest_errc::bad_label:
      return "bad_label";
    case ingest_errc::unknown_dataset:
      return "unknown_dataset";
    case ingest_errc::cache_corrupt:
      return "cache_corrupt";
    case ingest_errc::io_failure:
      return "io_failure";
    case ingest_errc::ledger_corrupt:
      return "ledger_corrupt";
    case ingest_errc::unknown_trainer:
      return "unknown_trainer";
    case ingest_errc::not_outstanding:
      return "not_outstanding";
    case ingest_errc::invalid_option:
      return "invalid_option";
    case ingest_errc::unshardable:
      return "unshardable";
  }
  return "ingest_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

void register_ingest_error_names() {
  add_error_names(caf::atom("ingest"),
                  [](uint8_t code) { return to_string(static_cast<ingest_errc>(code)); });
}

void register_ingest_errors(caf::actor_system_config& cfg) {
  add_error_category(cfg, caf::atom("ingest"));
  register_ingest_error_names();
}

} // namespace dmlp::ingest
