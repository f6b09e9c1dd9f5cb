#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lp::queue::spool {

/// In-process consumer group membership for the spool: members of a (group, topic) share its
/// partitions round-robin in join order; every join or leave starts a new generation and moves
/// partitions. Thread-safe.
class GroupMembership {
 public:
  struct Assignment {
    uint64_t generation = 0;
    std::vector<int32_t> partitions;
  };

  /// Returns the new member's id.
  uint64_t Join(const std::string& group, const std::string& topic, int32_t partition_count);
  void Leave(uint64_t member);
  [[nodiscard]] Assignment AssignmentOf(uint64_t member) const;

 private:
  struct Group {
    int32_t partition_count = 0;
    uint64_t generation = 0;
    std::vector<uint64_t> members;  // In join order.
  };
  struct Member {
    std::string group_key;
  };

  mutable std::mutex mutex_;
  uint64_t next_member_ = 1;
  std::map<std::string, Group> groups_;
  std::map<uint64_t, Member> members_;
};

}  // namespace lp::queue::spool
