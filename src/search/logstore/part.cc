#include "search/logstore/part.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "search/logstore/encoding.h"
#include "search/logstore/tokens.h"

namespace lp::search::logstore {
namespace {

constexpr std::string_view kMagic = "LPLOGPRT";
constexpr size_t kHeaderBytes = 16;   // magic, version u32, reserved u32
constexpr size_t kTrailerBytes = 80;  // see README.md
constexpr size_t kTrailerHashedBytes = 56;
// A column holds one block: at most max_block_bytes of documents (4 MiB) plus one document.
constexpr uint64_t kMaxColumnBytes = uint64_t{256} << 20;

tl::unexpected<Error> Corrupt(const std::filesystem::path& path, std::string_view what) {
  return Permanent("corrupt part " + path.filename().string() + ": " + std::string(what));
}

}  // namespace

struct PartWriter::HashState {
  XXH3_state_t* state = XXH3_createState();
  ~HashState() { XXH3_freeState(state); }
};

Result<std::unique_ptr<PartWriter>> PartWriter::Create(const std::filesystem::path& path,
                                                       Options options) {
  auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
  if (!fd) return tl::unexpected(fd.error());
  std::unique_ptr<PartWriter> writer(new PartWriter());
  writer->path_ = path;
  writer->options_ = options;
  writer->fd_ = std::move(*fd);
  writer->hash_ = std::make_unique<HashState>();
  XXH3_64bits_reset(writer->hash_->state);
  std::string header(kMagic);
  PutU32(header, kPartFormatVersion);
  PutU32(header, 0);
  if (auto appended = writer->Append(header); !appended) return tl::unexpected(appended.error());
  return writer;
}

PartWriter::~PartWriter() = default;

Result<void> PartWriter::Append(std::string_view bytes) {
  XXH3_64bits_update(hash_->state, bytes.data(), bytes.size());
  out_.append(bytes);
  written_ += bytes.size();
  if (out_.size() >= (1 << 20)) return Drain();
  return {};
}

Result<void> PartWriter::Drain() {
  if (out_.empty()) return {};
  auto written = WriteAll(fd_.get(), out_);
  out_.clear();
  return written;
}

uint32_t PartWriter::Dictionary::CodeOf(std::string_view field, std::string_view name,
                                        std::vector<uint64_t>& bloom_keys) {
  auto found = codes.find(std::string(name));
  if (found == codes.end()) {
    found = codes.emplace(std::string(name), static_cast<uint32_t>(order.size())).first;
    order.push_back(found->first);
    bloom_keys.push_back(HashKeyword(field, name));
  }
  return found->second;
}

void PartWriter::Dictionary::Prepend(std::string& column) const {
  std::string names;
  PutVarint(names, order.size());
  for (const auto name : order) PutBytes(names, name);
  column.insert(0, names);
}

void PartWriter::Dictionary::Clear() {
  codes.clear();
  order.clear();
}

Result<void> PartWriter::Add(const RowView& row) {
  if (block_.rows == 0) {
    block_.min_timestamp_ms = row.timestamp_ms;
    previous_timestamp_ = row.timestamp_ms;
    previous_seq_ = 0;
  }
  block_.max_timestamp_ms = row.timestamp_ms;
  ++block_.level_counts[std::min<size_t>(row.level, kLevels - 1)];
  PutVarint(columns_[ColumnIndex(Column::kTimestamp)],
            ZigZag(row.timestamp_ms - previous_timestamp_));
  previous_timestamp_ = row.timestamp_ms;
  PutVarint(columns_[ColumnIndex(Column::kSeq)],
            ZigZag(static_cast<int64_t>(row.seq - previous_seq_)));
  previous_seq_ = row.seq;
  columns_[ColumnIndex(Column::kLevel)].push_back(static_cast<char>(row.level));
  const uint32_t service = services_.CodeOf("service", row.service, token_hashes_);
  PutVarint(columns_[ColumnIndex(Column::kService)], service);
  if (service >= service_levels_.size()) service_levels_.resize(service + 1);
  ++service_levels_[service][std::min<size_t>(row.level, kLevels - 1)];
  PutVarint(columns_[ColumnIndex(Column::kHost)], hosts_.CodeOf("host", row.host, token_hashes_));
  PutBytes(columns_[ColumnIndex(Column::kId)], row.id);
  PutBytes(columns_[ColumnIndex(Column::kMessage)], row.message);
  jsons_.Add(row.json);
  json_bytes_ += row.json.size();
  columns_[ColumnIndex(Column::kMembers)].push_back(static_cast<char>(row.members));
  PutVarint(columns_[ColumnIndex(Column::kTenant)],
            tenants_.CodeOf("tenant", row.tenant, token_hashes_));
  ForEachToken(row.message, token_scratch_,
               [&](std::string_view token) { token_hashes_.push_back(HashToken(token)); });
  id_hashes_.push_back(HashToken(row.id));
  token_hashes_.push_back(HashIdKey(row.id));
  ++block_.rows;
  ++rows_;
  if (block_.rows >= options_.rows_per_block || json_bytes_ >= options_.max_block_bytes) {
    return FlushBlock();
  }
  return {};
}

Result<void> PartWriter::FlushBlock() {
  if (block_.rows == 0) return {};
  auto& service_levels = columns_[ColumnIndex(Column::kServiceLevels)];
  PutVarint(service_levels, services_.order.size());
  for (size_t code = 0; code < services_.order.size(); ++code) {
    PutBytes(service_levels, services_.order[code]);
    for (const uint32_t count : service_levels_[code]) PutVarint(service_levels, count);
  }
  service_levels_.clear();
  services_.Prepend(columns_[ColumnIndex(Column::kService)]);
  hosts_.Prepend(columns_[ColumnIndex(Column::kHost)]);
  tenants_.Prepend(columns_[ColumnIndex(Column::kTenant)]);
  auto json = jsons_.Finish(options_.zstd_level);
  if (!json) return tl::unexpected(json.error());
  columns_[ColumnIndex(Column::kJson)] = std::move(*json);
  json_bytes_ = 0;
  for (size_t column = 0; column < kColumns; ++column) {
    const auto& raw = columns_[column];
    // The json column compresses its own frames (JsonColumnLayout::kFramed): stored as it is.
    std::string_view stored = raw;
    if (column != ColumnIndex(Column::kJson)) {
      compressed_.resize(ZSTD_compressBound(raw.size()));
      const size_t size = ZSTD_compress(compressed_.data(), compressed_.size(), raw.data(),
                                        raw.size(), options_.zstd_level);
      if (ZSTD_isError(size)) {
        return Permanent(std::string("zstd compression failed: ") + ZSTD_getErrorName(size));
      }
      stored = std::string_view(compressed_.data(), size);
    }
    block_.column_offset[column] = written_;
    block_.column_bytes[column] = static_cast<uint32_t>(stored.size());
    block_.column_raw_bytes[column] = static_cast<uint32_t>(raw.size());
    if (auto appended = Append(stored); !appended) return appended;
  }
  std::sort(token_hashes_.begin(), token_hashes_.end());
  token_hashes_.erase(std::unique(token_hashes_.begin(), token_hashes_.end()), token_hashes_.end());
  BloomBuilder bloom(token_hashes_.size());
  for (const uint64_t hash : token_hashes_) bloom.Add(hash);
  block_.bloom_offset = written_;
  block_.bloom_bytes = static_cast<uint32_t>(bloom.bytes().size());
  if (auto appended = Append(bloom.bytes()); !appended) return appended;

  PutU32(index_, block_.rows);
  PutU64(index_, static_cast<uint64_t>(block_.min_timestamp_ms));
  PutU64(index_, static_cast<uint64_t>(block_.max_timestamp_ms));
  for (const uint32_t count : block_.level_counts) PutU32(index_, count);
  for (size_t column = 0; column < kColumns; ++column) {
    PutU64(index_, block_.column_offset[column]);
    PutU32(index_, block_.column_bytes[column]);
    PutU32(index_, block_.column_raw_bytes[column]);
  }
  PutU64(index_, block_.bloom_offset);
  PutU32(index_, block_.bloom_bytes);
  ++blocks_;

  for (auto& column : columns_) column.clear();
  services_.Clear();
  hosts_.Clear();
  tenants_.Clear();
  token_hashes_.clear();
  block_ = BlockSummary{};
  return {};
}

Result<uint64_t> PartWriter::Finish() {
  if (auto flushed = FlushBlock(); !flushed) return tl::unexpected(flushed.error());
  const uint64_t index_offset = written_;
  if (auto appended = Append(index_); !appended) return tl::unexpected(appended.error());
  BloomBuilder id_bloom(id_hashes_.size());
  for (const uint64_t hash : id_hashes_) id_bloom.Add(hash);
  const uint64_t id_bloom_offset = written_;
  if (auto appended = Append(id_bloom.bytes()); !appended) return tl::unexpected(appended.error());
  const uint64_t body_hash = XXH3_64bits_digest(hash_->state);

  std::string trailer;
  PutU64(trailer, index_offset);
  PutU64(trailer, id_bloom_offset - index_offset);
  PutU64(trailer, id_bloom_offset);
  PutU64(trailer, id_bloom.bytes().size());
  PutU64(trailer, rows_);
  PutU32(trailer, blocks_);
  PutU32(trailer, kPartFormatVersion);
  PutU64(trailer, body_hash);
  PutU64(trailer, XXH3_64bits(trailer.data(), trailer.size()));
  trailer.append(kMagic);
  trailer.append(std::string(kTrailerBytes - trailer.size(), '\0'));
  out_.append(trailer);
  written_ += trailer.size();
  if (auto drained = Drain(); !drained) return tl::unexpected(drained.error());
  if (::fsync(fd_.get()) != 0) return SystemError("fsync " + path_.string(), errno);
  fd_.Reset();
  return written_;
}

namespace {

struct ReadFailure {
  int code = 0;
};

// XXH3-64 of the first `bytes` bytes of the file.
tl::expected<uint64_t, ReadFailure> HashFileBytes(int fd, uint64_t bytes) {
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  XXH3_64bits_reset(state.get());
  std::string buffer(static_cast<size_t>(std::min<uint64_t>(bytes, 1 << 20)), '\0');
  uint64_t done = 0;
  while (done < bytes) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), bytes - done));
    const ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return tl::unexpected(ReadFailure{got < 0 ? errno : EIO});
    XXH3_64bits_update(state.get(), buffer.data(), static_cast<size_t>(got));
    done += static_cast<uint64_t>(got);
  }
  return XXH3_64bits_digest(state.get());
}

}  // namespace

Result<std::shared_ptr<const Part>> Part::Open(const std::filesystem::path& path) {
  auto fd = OpenFile(path, O_RDONLY | O_CLOEXEC);
  if (!fd) return tl::unexpected(fd.error());
  struct stat status {};
  if (::fstat(fd->get(), &status) != 0) return SystemError("stat " + path.string(), errno);
  const auto size = static_cast<uint64_t>(status.st_size);
  if (size < kHeaderBytes + kTrailerBytes) return Corrupt(path, "truncated (shorter than a part)");
  std::shared_ptr<Part> part(new Part());
  part->path_ = path;
  part->fd_ = std::move(*fd);
  part->size_ = size;

  std::string head;
  if (auto read = part->ReadAt(0, kHeaderBytes, head); !read) return tl::unexpected(read.error());
  if (std::string_view(head).substr(0, kMagic.size()) != kMagic) {
    return Corrupt(path, "not a part file");
  }
  Reader header(std::string_view(head).substr(kMagic.size(), 8));
  part->version_ = header.U32();
  if (part->version_ < kOldestPartFormatVersion || part->version_ > kPartFormatVersion) {
    return Corrupt(path, "format version " + std::to_string(part->version_) +
                             ", this build reads " + std::to_string(kOldestPartFormatVersion) +
                             " to " + std::to_string(kPartFormatVersion));
  }
  std::string trailer_storage;
  if (auto read = part->ReadAt(size - kTrailerBytes, kTrailerBytes, trailer_storage); !read) {
    return tl::unexpected(read.error());
  }
  const std::string_view trailer_bytes = trailer_storage;
  Reader trailer(trailer_bytes);
  const uint64_t index_offset = trailer.U64();
  const uint64_t index_bytes = trailer.U64();
  const uint64_t id_bloom_offset = trailer.U64();
  const uint64_t id_bloom_bytes = trailer.U64();
  part->rows_ = trailer.U64();
  const uint32_t blocks = trailer.U32();
  const uint32_t version = trailer.U32();
  const uint64_t body_hash = trailer.U64();
  const uint64_t trailer_hash = trailer.U64();
  if (XXH3_64bits(trailer_bytes.data(), kTrailerHashedBytes) != trailer_hash ||
      trailer_bytes.substr(kTrailerHashedBytes + 8, kMagic.size()) != kMagic) {
    return Corrupt(path, "truncated or damaged trailer");
  }
  if (version != part->version_) return Corrupt(path, "trailer version mismatch");
  const uint64_t body = size - kTrailerBytes;
  auto hashed = HashFileBytes(part->fd_.get(), body);
  if (!hashed) return SystemError("read " + path.string(), hashed.error().code);
  if (*hashed != body_hash) return Corrupt(path, "checksum mismatch");
  if (index_offset > body || index_bytes > body - index_offset || id_bloom_offset > body ||
      id_bloom_bytes > body - id_bloom_offset) {
    return Corrupt(path, "section outside the file");
  }
  if (auto read = part->ReadAt(id_bloom_offset, id_bloom_bytes, part->id_bloom_); !read) {
    return tl::unexpected(read.error());
  }

  // rows, min and max timestamp, level counts, per column offset/size/raw size, bloom offset/size.
  const size_t columns = part->has_service_levels() ? kColumns : kColumns - 1;
  const uint64_t index_bytes_per_block = 4 + 8 + 8 + 4 * kLevels + 16 * columns + 12;
  if (blocks > index_bytes / index_bytes_per_block) return Corrupt(path, "more blocks than index");
  std::string index_storage;
  if (auto read = part->ReadAt(index_offset, index_bytes, index_storage); !read) {
    return tl::unexpected(read.error());
  }
  Reader index(index_storage);
  uint64_t first_row = 0;
  part->blocks_.reserve(blocks);
  for (uint32_t i = 0; i < blocks; ++i) {
    BlockSummary block;
    block.rows = index.U32();
    block.first_row = static_cast<uint32_t>(first_row);
    block.min_timestamp_ms = static_cast<int64_t>(index.U64());
    block.max_timestamp_ms = static_cast<int64_t>(index.U64());
    for (auto& count : block.level_counts) count = index.U32();
    for (size_t column = 0; column < columns; ++column) {
      block.column_offset[column] = index.U64();
      block.column_bytes[column] = index.U32();
      block.column_raw_bytes[column] = index.U32();
      if (block.column_offset[column] > body ||
          block.column_bytes[column] > body - block.column_offset[column]) {
        return Corrupt(path, "block outside the file");
      }
    }
    block.bloom_offset = index.U64();
    block.bloom_bytes = index.U32();
    if (block.bloom_offset > body || block.bloom_bytes > body - block.bloom_offset) {
      return Corrupt(path, "bloom filter outside the file");
    }
    first_row += block.rows;
    part->blocks_.push_back(block);
  }
  if (!index.ok() || !index.done() || first_row != part->rows_) {
    return Corrupt(path, "index does not add up");
  }
  // Every query and every id lookup asks every block's bloom filter: they are kept in memory
  // (about 4 B per event), where the columns are read from the file as queries need them.
  uint64_t bloom_bytes = 0;
  for (const auto& block : part->blocks_) bloom_bytes += block.bloom_bytes;
  part->blooms_.reserve(bloom_bytes);
  std::string bloom;
  for (auto& block : part->blocks_) {
    if (auto read = part->ReadAt(block.bloom_offset, block.bloom_bytes, bloom); !read) {
      return tl::unexpected(read.error());
    }
    part->bloom_starts_.push_back(part->blooms_.size());
    part->blooms_.append(bloom);
  }
  return std::shared_ptr<const Part>(std::move(part));
}

Part::~Part() = default;

Result<void> Part::ReadAt(uint64_t offset, uint64_t bytes, std::string& out) const {
  out.resize(bytes);
  uint64_t done = 0;
  while (done < bytes) {
    const ssize_t got =
        ::pread(fd_.get(), out.data() + done, bytes - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return SystemError("read " + path_.string(), errno);
    if (got == 0) return Corrupt(path_, "shorter than its index says");
    done += static_cast<uint64_t>(got);
  }
  return {};
}

std::string_view Part::Bloom(size_t block) const {
  return std::string_view(blooms_).substr(bloom_starts_[block], blocks_[block].bloom_bytes);
}

size_t Part::BlockOfRow(uint32_t row) const {
  const auto after = std::upper_bound(
      blocks_.begin(), blocks_.end(), row,
      [](uint32_t value, const BlockSummary& block) { return value < block.first_row; });
  return static_cast<size_t>(after - blocks_.begin()) - 1;
}

Result<void> Part::Inflate(size_t block_number, size_t column, DecodedBlock& out) const {
  const auto& block = blocks_[block_number];
  auto& raw = out.raw[column];
  auto stored = Read(block_number, static_cast<Column>(column), out.stored);
  if (!stored) return tl::unexpected(stored.error());
  const char* frame = stored->data();
  // The index's size must be the frame's own, and within what a writer makes, before any
  // memory is taken for it: a damaged index could otherwise ask for gigabytes.
  if (ZSTD_getFrameContentSize(frame, block.column_bytes[column]) !=
          block.column_raw_bytes[column] ||
      block.column_raw_bytes[column] > kMaxColumnBytes) {
    return Corrupt(path_, "block " + std::to_string(block_number) + " column sizes disagree");
  }
  raw.resize(block.column_raw_bytes[column]);
  const size_t size = ZSTD_decompress(raw.data(), raw.size(), frame, block.column_bytes[column]);
  if (ZSTD_isError(size) || size != raw.size()) {
    return Corrupt(path_, "block " + std::to_string(block_number) + " does not decompress");
  }
  return {};
}

Result<std::string_view> Part::Read(size_t block_number, Column column, std::string& buffer) const {
  const auto& block = blocks_[block_number];
  if (auto read = ReadAt(block.column_offset[ColumnIndex(column)],
                         block.column_bytes[ColumnIndex(column)], buffer);
      !read) {
    return tl::unexpected(read.error());
  }
  return std::string_view(buffer);
}

Result<bool> Part::DecodeLeaves(size_t block_number,
                                std::span<const std::vector<std::string>> paths,
                                DecodedBlock& out) const {
  if (version_ < 2) return false;
  std::string_view encoded;
  auto layout = JsonColumnLayout::kFramed;
  if (version_ == 2) {
    if (auto inflated = Inflate(block_number, ColumnIndex(Column::kJson), out); !inflated) {
      return tl::unexpected(inflated.error());
    }
    encoded = out.raw[ColumnIndex(Column::kJson)];
    layout = JsonColumnLayout::kInline;
  } else {
    auto stored = Read(block_number, Column::kJson, out.stored);
    if (!stored) return tl::unexpected(stored.error());
    encoded = *stored;
  }
  auto read = ReadJsonLeaves(encoded, blocks_[block_number].rows, layout, paths, out.leaves,
                             out.leaf_values);
  if (!read) {
    return Corrupt(path_, "block " + std::to_string(block_number) + ": " + read.error().message);
  }
  return *read;
}

Result<void> Part::Decode(size_t block_number, uint32_t columns, DecodedBlock& out) const {
  const auto& block = blocks_[block_number];
  const size_t rows = block.rows;
  const size_t present = has_service_levels() ? kColumns : kColumns - 1;
  for (size_t column = 0; column < present; ++column) {
    if ((columns & (1U << column)) == 0) continue;
    auto& raw = out.raw[column];
    if (column == ColumnIndex(Column::kJson) && version_ >= 3) {
      auto stored = Read(block_number, Column::kJson, out.stored);
      if (!stored) return tl::unexpected(stored.error());
      if (auto decoded =
              DecodeJsonColumn(*stored, rows, out.json_text, out.jsons, JsonColumnLayout::kFramed);
          !decoded) {
        return Corrupt(path_,
                       "block " + std::to_string(block_number) + ": " + decoded.error().message);
      }
      continue;
    }
    if (auto inflated = Inflate(block_number, column, out); !inflated) return inflated;
    Reader reader(raw);
    switch (static_cast<Column>(column)) {
      case Column::kTimestamp: {
        out.timestamps.resize(rows);
        int64_t value = block.min_timestamp_ms;
        for (size_t i = 0; i < rows; ++i) out.timestamps[i] = value += UnZigZag(reader.Varint());
        break;
      }
      case Column::kSeq: {
        out.seqs.resize(rows);
        uint64_t value = 0;
        for (size_t i = 0; i < rows; ++i) {
          out.seqs[i] = value += static_cast<uint64_t>(UnZigZag(reader.Varint()));
        }
        break;
      }
      case Column::kLevel:
        if (raw.size() != rows) return Corrupt(path_, "level column size");
        out.levels.assign(raw.begin(), raw.end());
        break;
      case Column::kMembers:
        if (raw.size() != rows) return Corrupt(path_, "members column size");
        out.members.assign(raw.begin(), raw.end());
        break;
      case Column::kService:
      case Column::kHost:
      case Column::kTenant: {
        auto& names = column == ColumnIndex(Column::kService) ? out.services
                      : column == ColumnIndex(Column::kHost)  ? out.hosts
                                                              : out.tenants;
        auto& codes = column == ColumnIndex(Column::kService) ? out.service_codes
                      : column == ColumnIndex(Column::kHost)  ? out.host_codes
                                                              : out.tenant_codes;
        const uint64_t count = reader.Varint();
        if (count > raw.size()) return Corrupt(path_, "dictionary size");
        names.resize(count);
        for (auto& name : names) name = reader.Bytes();
        codes.resize(rows);
        for (size_t i = 0; i < rows; ++i) {
          const uint64_t code = reader.Varint();
          if (code >= count) return Corrupt(path_, "code outside the dictionary");
          codes[i] = static_cast<uint32_t>(code);
        }
        break;
      }
      case Column::kServiceLevels: {
        const uint64_t count = reader.Varint();
        if (count > raw.size()) return Corrupt(path_, "service levels size");
        out.service_levels.resize(count);
        uint64_t total = 0;
        for (auto& entry : out.service_levels) {
          entry.service = reader.Bytes();
          for (auto& level : entry.counts) total += level = static_cast<uint32_t>(reader.Varint());
        }
        if (reader.ok() && total != rows) {
          return Corrupt(path_, "block " + std::to_string(block_number) +
                                    " service levels do not add up to its rows");
        }
        break;
      }
      case Column::kJson:
        if (version_ >= 2) {
          if (auto decoded =
                  DecodeJsonColumn(raw, rows, out.json_text, out.jsons, JsonColumnLayout::kInline);
              !decoded) {
            return Corrupt(
                path_, "block " + std::to_string(block_number) + ": " + decoded.error().message);
          }
          break;
        }
        [[fallthrough]];
      case Column::kId:
      case Column::kMessage: {
        auto& views = column == ColumnIndex(Column::kId)        ? out.ids
                      : column == ColumnIndex(Column::kMessage) ? out.messages
                                                                : out.jsons;
        views.resize(rows);
        for (size_t i = 0; i < rows; ++i) views[i] = reader.Bytes();
        break;
      }
    }
    if (!reader.ok()) return Corrupt(path_, "block " + std::to_string(block_number) + " is short");
  }
  return {};
}

Result<std::optional<uint32_t>> Part::FindId(std::string_view id) const {
  if (!BloomMayContain(id_bloom_, HashToken(id))) return std::nullopt;
  // Each block's bloom filter holds its ids too: only blocks that may hold it are decoded.
  const uint64_t key = HashIdKey(id);
  DecodedBlock decoded;
  for (size_t block = 0; block < blocks_.size(); ++block) {
    if (!BloomMayContain(Bloom(block), key)) continue;
    if (auto done = Decode(block, ColumnBit(Column::kId), decoded); !done) {
      return tl::unexpected(done.error());
    }
    for (uint32_t row = 0; row < blocks_[block].rows; ++row) {
      if (decoded.ids[row] == id) return blocks_[block].first_row + row;
    }
  }
  return std::nullopt;
}

}  // namespace lp::search::logstore
