// Resource vectors (cpus, memory, gpus) for scheduling: arithmetic, fit checks, and the
// dominant share used by DRF. Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace dmlp::scheduler {

/// An amount of each schedulable resource.
struct resources {
  /// CPU cores (fractions allowed). Default: 0.
  double cpus = 0;
  /// Memory in MiB. Default: 0.
  double memory_mb = 0;
  /// GPUs. Default: 0.
  double gpus = 0;

  resources& operator+=(const resources& other);
  resources& operator-=(const resources& other);
  friend resources operator+(resources a, const resources& b) { return a += b; }
  friend resources operator-(resources a, const resources& b) { return a -= b; }
  friend resources operator*(resources a, double k) {
    a.cpus *= k;
    a.memory_mb *= k;
    a.gpus *= k;
    return a;
  }

  /// Whether every component of `need` fits into this amount.
  bool fits(const resources& need) const;

  /// Whether every component is zero.
  bool empty() const;

  /// max over resources of this / total (DRF's dominant share); 0 where total is 0.
  double dominant_share(const resources& total) const;

  /// "2 cpus, 512 MiB, 1 gpu" (zero components left out).
  std::string describe() const;
};

} // namespace dmlp::scheduler
