#include "search/logstore/tokens.h"

#include <xxhash.h>

#include <cstring>

namespace lp::search::logstore {
namespace {

constexpr size_t kBlockBytes = 32;
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

size_t BlockOf(uint64_t hash, size_t blocks) {
  return static_cast<size_t>(((hash >> 32) * blocks) >> 32);
}

}  // namespace

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  std::string scratch;
  ForEachToken(text, scratch, [&](std::string_view token) { tokens.emplace_back(token); });
  return tokens;
}

uint64_t HashToken(std::string_view token) { return XXH3_64bits(token.data(), token.size()); }

uint64_t HashIdKey(std::string_view id) {
  constexpr XXH64_hash_t kSeed = 0x1d;
  return XXH3_64bits_withSeed(id.data(), id.size(), kSeed);
}

uint64_t HashKeyword(std::string_view field, std::string_view value) {
  std::string key;
  key.reserve(field.size() + value.size() + 2);
  key.push_back('\x01');
  key.append(field);
  key.push_back('\x02');
  key.append(value);
  return HashToken(key);
}

BloomBuilder::BloomBuilder(size_t keys) {
  // 12 bits per key, at least one block; whole blocks.
  const size_t blocks = std::max<size_t>(1, (keys * 12 + kBlockBytes * 8 - 1) / (kBlockBytes * 8));
  bytes_.assign(blocks * kBlockBytes, '\0');
}

void BloomBuilder::Add(uint64_t hash) {
  const size_t block = BlockOf(hash, bytes_.size() / kBlockBytes);
  const auto key = static_cast<uint32_t>(hash);
  char* base = bytes_.data() + block * kBlockBytes;
  for (int i = 0; i < 8; ++i) {
    uint32_t word;
    std::memcpy(&word, base + i * 4, 4);
    word |= 1U << ((key * kSalt[i]) >> 27);
    std::memcpy(base + i * 4, &word, 4);
  }
}

bool BloomMayContain(std::string_view bytes, uint64_t hash) {
  if (bytes.size() < kBlockBytes) return true;
  const size_t block = BlockOf(hash, bytes.size() / kBlockBytes);
  const auto key = static_cast<uint32_t>(hash);
  const char* base = bytes.data() + block * kBlockBytes;
  for (int i = 0; i < 8; ++i) {
    uint32_t word;
    std::memcpy(&word, base + i * 4, 4);
    if ((word & (1U << ((key * kSalt[i]) >> 27))) == 0) return false;
  }
  return true;
}

}  // namespace lp::search::logstore
