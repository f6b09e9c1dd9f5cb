#include "queue/spool/group_membership.h"

#include <algorithm>

namespace lp::queue::spool {

uint64_t GroupMembership::Join(const std::string& group, const std::string& topic,
                               int32_t partition_count) {
  std::lock_guard lock(mutex_);
  const std::string key = group + '\0' + topic;
  Group& state = groups_[key];
  state.partition_count = partition_count;
  const uint64_t member = next_member_++;
  state.members.push_back(member);
  ++state.generation;
  members_[member] = Member{key};
  return member;
}

void GroupMembership::Leave(uint64_t member) {
  std::lock_guard lock(mutex_);
  const auto found = members_.find(member);
  if (found == members_.end()) return;
  Group& state = groups_[found->second.group_key];
  std::erase(state.members, member);
  ++state.generation;
  members_.erase(found);
}

GroupMembership::Assignment GroupMembership::AssignmentOf(uint64_t member) const {
  std::lock_guard lock(mutex_);
  Assignment assignment;
  const auto found = members_.find(member);
  if (found == members_.end()) return assignment;
  const Group& state = groups_.at(found->second.group_key);
  assignment.generation = state.generation;
  const auto position = static_cast<int32_t>(
      std::find(state.members.begin(), state.members.end(), member) - state.members.begin());
  const auto count = static_cast<int32_t>(state.members.size());
  for (int32_t partition = position; partition < state.partition_count; partition += count) {
    assignment.partitions.push_back(partition);
  }
  return assignment;
}

}  // namespace lp::queue::spool
