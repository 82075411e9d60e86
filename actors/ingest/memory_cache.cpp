#include "actors/ingest/memory_cache.hpp"

namespace dmlp::ingest {

memory_cache::memory_cache(uint64_t capacity_bytes) : capacity_(capacity_bytes) {}

std::shared_ptr<const dataset_content> memory_cache::get(const std::string& key) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = entries_.begin(); i != entries_.end(); ++i)
    if (i->key == key) {
      entries_.splice(entries_.begin(), entries_, i);
      return entries_.front().content;
    }
  return nullptr;
}

void memory_cache::put(const std::string& key, std::shared_ptr<const dataset_content> content) {
  if (!content)
    return;
  uint64_t size = content->train.bytes() + content->test.bytes();
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto i = entries_.begin(); i != entries_.end(); ++i)
    if (i->key == key) {
      bytes_ -= i->bytes;
      entries_.erase(i);
      break;
    }
  if (size > capacity_)
    return;
  while (!entries_.empty() && bytes_ + size > capacity_) {
    bytes_ -= entries_.back().bytes;
    entries_.pop_back();
  }
  entries_.push_front(entry{key, std::move(content), size});
  bytes_ += size;
}

caf::expected<std::shared_ptr<const dataset_content>> memory_cache::get_or_load(
    const std::string& key,
    const std::function<caf::expected<std::shared_ptr<const dataset_content>>()>& load) {
  if (auto found = get(key))
    return found;
  auto loaded = load();
  if (!loaded)
    return loaded.error();
  put(key, *loaded);
  return loaded;
}

uint64_t memory_cache::bytes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return bytes_;
}

size_t memory_cache::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

} // namespace dmlp::ingest
