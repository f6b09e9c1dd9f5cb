#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"

namespace lp {

/// Owns a POSIX file descriptor and closes it once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

[[nodiscard]] Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags,
                                        int mode = 0644);
/// Writes all of `data`, retrying short writes and EINTR.
[[nodiscard]] Result<void> WriteAll(int fd, std::string_view data);
/// Reads up to `size` bytes at `offset`; fewer only at end of file.
[[nodiscard]] Result<size_t> ReadAt(int fd, char* buffer, size_t size, uint64_t offset);
[[nodiscard]] Result<void> SyncDirectory(const std::filesystem::path& directory);
/// Replaces `path` atomically with `contents`: temporary file (`<path>.tmp-<pid>-<n>`), fsync,
/// rename, fsync directory.
[[nodiscard]] Result<void> ReplaceFileAtomically(const std::filesystem::path& path,
                                                 std::string_view contents);
[[nodiscard]] Result<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace lp
