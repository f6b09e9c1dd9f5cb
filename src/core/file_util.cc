#include "core/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace lp {

void UniqueFd::Reset() {
  if (fd_ >= 0) {
    // close() errors after a successful fsync cannot lose acknowledged data.
    ::close(fd_);
    fd_ = -1;
  }
}

Result<UniqueFd> OpenFile(const std::filesystem::path& path, int flags, int mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return SystemError("open " + path.string(), errno);
  return UniqueFd(fd);
}

Result<void> WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return SystemError("write", errno);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return {};
}

Result<size_t> ReadAt(int fd, char* buffer, size_t size, uint64_t offset) {
  size_t total = 0;
  while (total < size) {
    const ssize_t got =
        ::pread(fd, buffer + total, size - total, static_cast<off_t>(offset + total));
    if (got < 0) {
      if (errno == EINTR) continue;
      return SystemError("pread", errno);
    }
    if (got == 0) break;
    total += static_cast<size_t>(got);
  }
  return total;
}

Result<void> SyncDirectory(const std::filesystem::path& directory) {
  auto fd = OpenFile(directory, O_RDONLY | O_DIRECTORY);
  if (!fd) return tl::unexpected(fd.error());
  if (::fsync(fd->get()) != 0) return SystemError("fsync " + directory.string(), errno);
  return {};
}

Result<void> ReplaceFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  // Unique per call, so that two writers of the same path never share a temporary file.
  static std::atomic<uint64_t> counter{0};
  const auto temporary =
      std::filesystem::path(path.string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                            std::to_string(counter.fetch_add(1)));
  {
    auto fd = OpenFile(temporary, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd) return tl::unexpected(fd.error());
    if (auto written = WriteAll(fd->get(), contents); !written) return written;
    if (::fsync(fd->get()) != 0) return SystemError("fsync " + temporary.string(), errno);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return SystemError("rename " + temporary.string(), errno);
  }
  return SyncDirectory(path.parent_path());
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd) return tl::unexpected(fd.error());
  std::string contents;
  char buffer[65536];
  while (true) {
    const ssize_t got = ::read(fd->get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return SystemError("read " + path.string(), errno);
    }
    if (got == 0) break;
    contents.append(buffer, static_cast<size_t>(got));
  }
  return contents;
}

}  // namespace lp
