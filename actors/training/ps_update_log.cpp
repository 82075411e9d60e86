#include "actors/training/ps_update_log.hpp"

#include <cstring>

#include "actors/training/errors.hpp"

namespace dmlp::training {

namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "update log records store integers in host order, specified little-endian");

template <class T> void put(std::vector<uint8_t>& out, T value) {
  auto at = out.size();
  out.resize(at + sizeof(T));
  std::memcpy(out.data() + at, &value, sizeof(T));
}

void put_text(std::vector<uint8_t>& out, const std::string& text) {
  put(out, static_cast<uint32_t>(text.size()));
  out.insert(out.end(), text.begin(), text.end());
}

// Reads a record body front to back; every read checks that the bytes are there.
class body_reader {
public:
  explicit body_reader(const std::vector<uint8_t>& body) : body_(body) {}

  template <class T> bool get(T& value) {
    if (body_.size() - at_ < sizeof(T))
      return false;
    std::memcpy(&value, body_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return true;
  }

  bool get_text(std::string& text) {
    uint32_t size = 0;
    if (!get(size) || body_.size() - at_ < size)
      return false;
    text.assign(reinterpret_cast<const char*>(body_.data() + at_), size);
    at_ += size;
    return true;
  }

  std::vector<uint8_t> rest() {
    std::vector<uint8_t> out(body_.begin() + static_cast<std::ptrdiff_t>(at_), body_.end());
    at_ = body_.size();
    return out;
  }

  bool at_end() const { return at_ == body_.size(); }

private:
  const std::vector<uint8_t>& body_;
  size_t at_ = 0;
};

caf::error malformed(const std::string& what) {
  return caf::make_error(training_errc::bad_checkpoint, "update log: " + what);
}

} // namespace

file_magic ps_update_log_magic() {
  return make_magic("DMLPPSLG");
}

std::string ps_update_log_path(const std::string& checkpoint_file) {
  return checkpoint_file + ".log";
}

std::vector<uint8_t> encode_log_base(uint32_t index, uint64_t version) {
  std::vector<uint8_t> out;
  put(out, static_cast<uint8_t>(ps_log_kind::base));
  put(out, index);
  put(out, version);
  return out;
}

std::vector<uint8_t> encode_log_push(const ps_push& push) {
  std::vector<uint8_t> out;
  out.reserve(64 + push.trainer.size() + push.data.bytes.size());
  put(out, static_cast<uint8_t>(ps_log_kind::push));
  put_text(out, push.trainer);
  put(out, push.clock);
  put(out, push.samples);
  put(out, push.lr);
  put(out, push.batch_epoch);
  put(out, push.batch);
  out.insert(out.end(), push.data.bytes.begin(), push.data.bytes.end());
  return out;
}

std::vector<uint8_t> encode_log_members(const std::vector<std::string>& trainers) {
  std::vector<uint8_t> out;
  put(out, static_cast<uint8_t>(ps_log_kind::members));
  put(out, static_cast<uint32_t>(trainers.size()));
  for (auto& t : trainers)
    put_text(out, t);
  return out;
}

caf::expected<ps_log_record> decode_log_record(const std::vector<uint8_t>& body) {
  body_reader in{body};
  uint8_t kind = 0;
  if (!in.get(kind))
    return malformed("an empty record");
  ps_log_record out;
  switch (static_cast<ps_log_kind>(kind)) {
    case ps_log_kind::base:
      out.kind = ps_log_kind::base;
      if (!in.get(out.index) || !in.get(out.version) || !in.at_end())
        return malformed("a base record of " + std::to_string(body.size()) + " bytes");
      return out;
    case ps_log_kind::push: {
      out.kind = ps_log_kind::push;
      auto& p = out.push;
      if (!in.get_text(p.trainer) || !in.get(p.clock) || !in.get(p.samples) || !in.get(p.lr) ||
          !in.get(p.batch_epoch) || !in.get(p.batch))
        return malformed("a push record cut short");
      p.data.bytes = in.rest();
      return out;
    }
    case ps_log_kind::members: {
      out.kind = ps_log_kind::members;
      uint32_t count = 0;
      if (!in.get(count))
        return malformed("a member record cut short");
      for (uint32_t i = 0; i < count; ++i) {
        std::string trainer;
        if (!in.get_text(trainer))
          return malformed("a member record cut short");
        out.members.push_back(std::move(trainer));
      }
      if (!in.at_end())
        return malformed("a member record with trailing bytes");
      return out;
    }
  }
  return malformed("a record of unknown kind " + std::to_string(kind));
}

} // namespace dmlp::training
