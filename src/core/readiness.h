#pragma once

#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lp {

/// What `/readyz` reports: each component publishes whether it can do its work, and why not,
/// from its own threads; the probe only reads what was published, so it never waits on a
/// broker or a disk. Thread-safe.
class Readiness {
 public:
  /// One component's state. Starts ready.
  class Component {
   public:
    explicit Component(std::string name) : name_(std::move(name)) {}
    void SetReady();
    /// Keeps the first `since` while the component stays not ready.
    void SetNotReady(std::string reason);
    /// "name: reason (since RFC 3339)" when not ready.
    [[nodiscard]] std::optional<std::string> Problem() const;

   private:
    const std::string name_;
    mutable std::mutex mutex_;
    std::optional<std::string> reason_;
    std::chrono::system_clock::time_point since_{};
  };

  /// The returned component lives as long as this object.
  Component& Add(std::string name);
  /// Every component that is not ready, in the order they were added.
  [[nodiscard]] std::vector<std::string> Problems() const;

 private:
  mutable std::mutex mutex_;
  std::list<Component> components_;
};

}  // namespace lp
