#include "objectstore/object_store.h"

namespace lp::objectstore {

Result<void> CheckKey(std::string_view key) {
  if (key.empty() || key.size() > 1024) return Permanent("object key must be 1 to 1024 bytes");
  std::string_view rest = key;
  while (true) {
    const auto slash = rest.find('/');
    const auto segment = rest.substr(0, slash);
    if (segment.empty() || segment == "." || segment == "..") {
      return Permanent("object key \"" + std::string(key) +
                       "\" has an empty, \".\" or \"..\" segment");
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (const char c : key) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Permanent("object key \"" + std::string(key) + "\" has a control character");
    }
  }
  return {};
}

}  // namespace lp::objectstore
