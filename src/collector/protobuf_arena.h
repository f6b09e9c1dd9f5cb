#pragma once

#include <google/protobuf/arena.h>

#include <cstddef>
#include <vector>

namespace lp::collector {

/// Where a protobuf decoder parses one request at a time: an arena whose first block is kept
/// from request to request. Parsing into a reused heap message allocated and freed every
/// submessage (Clear deletes them: half of OTLP's decoding time); on the arena they cost a
/// pointer bump and are all freed at once.
///
/// Not thread-safe: one per decoder.
class RequestArena {
 public:
  /// What a request larger than `first_block_bytes` needs more is allocated, and freed by the
  /// next Fresh.
  explicit RequestArena(size_t first_block_bytes = size_t{1} << 20)
      : first_block_(first_block_bytes), arena_(Options(first_block_)) {}
  RequestArena(const RequestArena&) = delete;
  RequestArena& operator=(const RequestArena&) = delete;

  /// A new empty message; the one the previous call gave is gone.
  template <typename Message>
  [[nodiscard]] Message& Fresh() {
    arena_.Reset();
    return *google::protobuf::Arena::CreateMessage<Message>(&arena_);
  }

 private:
  static google::protobuf::ArenaOptions Options(std::vector<char>& block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block.data();
    options.initial_block_size = block.size();
    return options;
  }

  std::vector<char> first_block_;
  google::protobuf::Arena arena_;
};

}  // namespace lp::collector
