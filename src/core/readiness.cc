#include "core/readiness.h"

#include "core/timestamp.h"

namespace lp {

void Readiness::Component::SetReady() {
  std::lock_guard lock(mutex_);
  reason_.reset();
}

void Readiness::Component::SetNotReady(std::string reason) {
  std::lock_guard lock(mutex_);
  if (!reason_) since_ = std::chrono::system_clock::now();
  reason_ = std::move(reason);
}

std::optional<std::string> Readiness::Component::Problem() const {
  std::lock_guard lock(mutex_);
  if (!reason_) return std::nullopt;
  const auto since_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(since_.time_since_epoch()).count();
  return name_ + ": " + *reason_ + " (since " + FormatRfc3339Millis(since_ms) + ")";
}

Readiness::Component& Readiness::Add(std::string name) {
  std::lock_guard lock(mutex_);
  return components_.emplace_back(std::move(name));
}

std::vector<std::string> Readiness::Problems() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> problems;
  for (const auto& component : components_) {
    if (auto problem = component.Problem()) problems.push_back(std::move(*problem));
  }
  return problems;
}

}  // namespace lp
