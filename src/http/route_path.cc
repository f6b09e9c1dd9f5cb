#include "http/route_path.h"

namespace lp::http {
namespace {

// The next segment of `path` (after its leading '/'), which is then consumed.
std::string_view NextSegment(std::string_view& path) {
  path.remove_prefix(1);
  const size_t end = path.find('/');
  const std::string_view segment = path.substr(0, end);
  path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  return segment;
}

}  // namespace

bool RoutePathMatches(std::string_view pattern, std::string_view path) {
  if (pattern == path) return true;
  if (pattern.find('*') == std::string_view::npos) return false;
  while (!pattern.empty()) {
    if (pattern.front() != '/') return false;
    const std::string_view expected = NextSegment(pattern);
    if (expected == "**" && pattern.empty()) return true;
    if (path.empty() || path.front() != '/') return false;
    const std::string_view actual = NextSegment(path);
    if (expected == "*" ? actual.empty() : expected != actual) return false;
  }
  return path.empty();
}

}  // namespace lp::http
