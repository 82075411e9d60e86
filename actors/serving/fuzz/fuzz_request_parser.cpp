// libFuzzer target for the HTTP request parser (V1 and V2 bodies, base64 images). Run:
//   build/bin/tests/fuzz_request_parser -max_total_time=60 tests/unit/serving/fuzz_corpus
// The parser must answer every input with a result (200 or a 4xx status and a message) and
// never crash, leak or read out of bounds (built with ASan + UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "actors/serving/request_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body{reinterpret_cast<const char*>(data), size};
  dmlp::preprocessing prep;
  dmlp::serving::request_limits limits;
  limits.max_samples = 64;
  limits.max_image_pixels = 256 * 256;
  auto check = [](const dmlp::serving::parse_result& r) {
    if (r.ok() && r.inputs.size() != size_t{r.samples} * 784)
      __builtin_trap();
    if (!r.ok() && (r.status < 400 || r.status > 499 || r.error.empty()))
      __builtin_trap();
  };
  check(dmlp::serving::parse_v1_request(body, prep, limits));
  check(dmlp::serving::parse_v2_request(body, prep, limits));
  return 0;
}
