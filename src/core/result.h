#pragma once

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace lp {

/// How the pipeline must react to a failure; retry and dead-letter decisions are made from this
/// class alone.
enum class ErrorClass {
  kRetryable,  ///< Transient: the same operation may succeed later (timeouts, full queue, 5xx).
  kPermanent,  ///< Retrying cannot help (invalid input, rejected document, bad configuration).
  kNotFound,   ///< The thing asked for does not exist.
  /// The component's own storage is damaged (a corrupt database page, a part failing its
  /// checksum): a server fault that needs an operator. Nothing about the data being written is
  /// wrong, so it is never a reason to dead-letter it; consumers stop and report not ready.
  kStorageFault,
};

struct Error {
  ErrorClass error_class = ErrorClass::kPermanent;
  std::string message;

  [[nodiscard]] bool retryable() const { return error_class == ErrorClass::kRetryable; }
};

template <typename T>
using Result = tl::expected<T, Error>;

[[nodiscard]] inline tl::unexpected<Error> Permanent(std::string message) {
  return tl::unexpected(Error{ErrorClass::kPermanent, std::move(message)});
}
[[nodiscard]] inline tl::unexpected<Error> Retryable(std::string message) {
  return tl::unexpected(Error{ErrorClass::kRetryable, std::move(message)});
}
[[nodiscard]] inline tl::unexpected<Error> NotFound(std::string message) {
  return tl::unexpected(Error{ErrorClass::kNotFound, std::move(message)});
}
[[nodiscard]] inline tl::unexpected<Error> StorageFault(std::string message) {
  return tl::unexpected(Error{ErrorClass::kStorageFault, std::move(message)});
}

/// Builds an error from errno for a system call, classifying disk-full and interrupted calls as
/// retryable.
[[nodiscard]] tl::unexpected<Error> SystemError(std::string_view what, int errno_value);

}  // namespace lp
