#include "core/result.h"

#include <cerrno>
#include <cstring>

namespace lp {

tl::unexpected<Error> SystemError(std::string_view what, int errno_value) {
  const bool retryable = errno_value == ENOSPC || errno_value == EDQUOT || errno_value == EINTR ||
                         errno_value == EAGAIN || errno_value == EMFILE || errno_value == ENFILE;
  std::string message(what);
  message += ": ";
  message += std::strerror(errno_value);
  return tl::unexpected(
      Error{retryable ? ErrorClass::kRetryable : ErrorClass::kPermanent, std::move(message)});
}

}  // namespace lp
