#pragma once

#include <cstdint>
#include <string_view>

namespace lp {

/// Kafka's murmur2 hash (seed 0x9747b28c), bit for bit, so that logpipe and Java clients send
/// the same key to the same partition.
[[nodiscard]] int32_t Murmur2(std::string_view data);

/// The partition Kafka's default partitioner picks for a non-empty key.
[[nodiscard]] int32_t PartitionForKey(std::string_view key, int32_t partition_count);

}  // namespace lp
