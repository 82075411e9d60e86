#include "messages/errors.hpp"

#include <map>
#include <mutex>

#include <caf/atom.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "messages/error_names.hpp"

namespace dmlp {

std::string to_string(codec_errc code) {
  switch (code) {
    case codec_errc::truncated:
      return "truncated";
    case codec_errc::malformed:
      return "malformed";
    case codec_errc::bad_magic:
      return "bad_magic";
    case codec_errc::unsupported_version:
      return "unsupported_version";
    case codec_errc::checksum_mismatch:
      return "checksum_mismatch";
    case codec_errc::oversized:
      return "oversized";
    case codec_errc::shape_mismatch:
      return "shape_mismatch";
    case codec_errc::unknown_dtype:
      return "unknown_dtype";
  }
  return "codec_errc(" + std::to_string(static_cast<int>(code)) + ")";
}

namespace {

struct name_table {
  std::mutex mtx;
  std::map<caf::atom_value, code_namer> namers;
};

name_table& names() {
  static name_table table;
  return table;
}

} // namespace

void add_error_names(caf::atom_value category, code_namer namer) {
  auto& table = names();
  std::lock_guard<std::mutex> guard{table.mtx};
  table.namers[category] = std::move(namer);
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  std::string code;
  if (err.category() == caf::atom("system"))
    code = caf::to_string(static_cast<caf::sec>(err.code()));
  else if (err.category() == caf::atom("codec"))
    code = to_string(static_cast<codec_errc>(err.code()));
  else if (err.category() == caf::atom("exit"))
    code = caf::to_string(static_cast<caf::exit_reason>(err.code()));
  else {
    auto& table = names();
    std::lock_guard<std::mutex> guard{table.mtx};
    auto i = table.namers.find(err.category());
    code = i != table.namers.end() ? i->second(err.code()) : std::to_string(err.code());
  }
  auto result = caf::to_string(err.category()) + "." + code;
  const auto& context = err.context();
  if (context.size() == 1 && context.match_element<std::string>(0))
    result += ": " + context.get_as<std::string>(0);
  else if (!context.empty())
    result += ": " + caf::deep_to_string(context);
  return result;
}

} // namespace dmlp
