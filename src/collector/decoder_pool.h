#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace lp::collector {

/// Past this, a request's buffers are dropped rather than kept in a pool.
inline constexpr size_t kPooledBufferBytes = 4 * 1024 * 1024;

/// A protocol's decoder and the batch it fills, lent together to one request (DecoderPool).
template <typename Decoder, typename Batch>
struct PooledDecoding {
  Decoder decoder;
  Batch batch;
  template <typename Options>
  explicit PooledDecoding(const Options& options) : decoder(options) {}
};

/// Decoders (with their parsers and buffers) lent to one request at a time, so that server
/// threads reuse warm buffers instead of allocating per request. Thread-safe.
template <typename Decoding>
class DecoderPool {
 public:
  /// `make` builds a new one when none is free; `keep` says whether one handed back is worth
  /// keeping (buffers that grew for an unusually large request are not).
  DecoderPool(std::function<std::unique_ptr<Decoding>()> make,
              std::function<bool(const Decoding&)> keep)
      : make_(std::move(make)), keep_(std::move(keep)) {}

  /// The pool of a protocol handler whose Decoding is built from `options` and holds its events
  /// in `batch`: one is kept while that batch's buffer stays under kPooledBufferBytes.
  template <typename Options>
  [[nodiscard]] static DecoderPool ForBatches(const Options& options) {
    return DecoderPool([options] { return std::make_unique<Decoding>(options); },
                       [](const Decoding& decoding) {
                         return decoding.batch.json.capacity() <= kPooledBufferBytes;
                       });
  }

  /// A decoding borrowed for one request; handed back when it goes out of scope.
  class Lease {
   public:
    Lease(DecoderPool& pool, std::unique_ptr<Decoding> decoding)
        : pool_(pool), decoding_(std::move(decoding)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.Return(std::move(decoding_)); }
    Decoding& operator*() { return *decoding_; }
    Decoding* operator->() { return decoding_.get(); }

   private:
    DecoderPool& pool_;
    std::unique_ptr<Decoding> decoding_;
  };

  [[nodiscard]] Lease Borrow() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        auto decoding = std::move(free_.back());
        free_.pop_back();
        return Lease(*this, std::move(decoding));
      }
    }
    return Lease(*this, make_());
  }

 private:
  void Return(std::unique_ptr<Decoding> decoding) {
    if (!keep_(*decoding)) return;
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(decoding));
  }

  std::function<std::unique_ptr<Decoding>()> make_;
  std::function<bool(const Decoding&)> keep_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Decoding>> free_;
};

}  // namespace lp::collector
