#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/file_util.h"
#include "core/result.h"
#include "search/logstore/json_column.h"

namespace lp::search::logstore {

/// The format version parts are written in (README.md draws the layout). Version 1 stored each
/// document's JSON text whole; version 2 splits it into shapes and values (json_column.h);
/// version 3 adds the service levels column. A reader opens all three and refuses any other.
inline constexpr uint32_t kPartFormatVersion = 3;
inline constexpr uint32_t kOldestPartFormatVersion = 1;
/// Levels are stored as codes 0-5 (core/level.h's order).
inline constexpr size_t kLevels = 6;

/// The columns of a block, in file order.
enum class Column : uint8_t {
  kTimestamp,
  kSeq,
  kLevel,
  kService,
  kHost,
  kId,
  kMessage,
  kJson,     ///< The document without the members the columns hold (document_shape.h).
  kMembers,  ///< Which members the columns hold (ColumnMember bits), one byte per row.
  kTenant,   ///< The tenant the collector stamped ("" without authentication).
  /// Per service of the block, its rows at each level (format 3): what a count, a facet of
  /// `service` or a histogram of one service reads instead of the block's rows.
  kServiceLevels,
};
inline constexpr size_t kColumns = 11;

/// One row as the writer takes it; the views need only live during Add().
struct RowView {
  int64_t timestamp_ms = 0;
  uint64_t seq = 0;  ///< Write order across the store: the newer version of an id has the larger.
  uint8_t level = 0;
  std::string_view service{};
  std::string_view host{};  ///< Empty when the event has none.
  std::string_view id{};
  std::string_view message{};
  std::string_view json{};  ///< As stored: without the members the columns hold.
  uint8_t members = 0;      ///< ColumnMember bits.
  std::string_view tenant{};
};

/// A block's summary, kept in the part's index: enough to skip the block, or to count it for a
/// histogram, without decompressing anything.
struct BlockSummary {
  uint32_t rows = 0;
  uint32_t first_row = 0;  ///< Not stored: the sum of the rows of the blocks before.
  int64_t min_timestamp_ms = 0;
  int64_t max_timestamp_ms = 0;
  std::array<uint32_t, kLevels> level_counts{};
  std::array<uint64_t, kColumns> column_offset{};
  std::array<uint32_t, kColumns> column_bytes{};  ///< Compressed.
  std::array<uint32_t, kColumns> column_raw_bytes{};
  /// Tokens of `message`, the whole values of `service`, `host` and `tenant` (HashKeyword), the ids
  /// (HashIdKey).
  uint64_t bloom_offset = 0;
  uint32_t bloom_bytes = 0;
};

/// One service's rows in a block, by level.
struct ServiceLevels {
  std::string_view service;
  std::array<uint32_t, kLevels> counts{};
};

/// A block's columns, decompressed on demand (only those a query needs).
struct DecodedBlock {
  std::vector<int64_t> timestamps;
  std::vector<uint64_t> seqs;
  std::vector<uint8_t> levels;
  std::vector<uint8_t> members;            ///< ColumnMember bits per row.
  std::vector<std::string_view> services;  ///< The block's dictionary.
  std::vector<uint32_t> service_codes;     ///< Per row, into `services`.
  std::vector<std::string_view> hosts;     ///< The block's dictionary ("" for rows without).
  std::vector<uint32_t> host_codes;        ///< Per row, into `hosts`.
  std::vector<std::string_view> tenants;   ///< The block's dictionary ("" for rows without).
  std::vector<uint32_t> tenant_codes;      ///< Per row, into `tenants`.
  std::vector<std::string_view> ids;
  std::vector<std::string_view> messages;
  std::vector<std::string_view> jsons;
  std::array<std::string, kColumns> raw;      ///< Owns what the views point into.
  std::string stored;                         ///< A column's bytes as read from the file.
  std::string json_text;                      ///< The rebuilt documents `jsons` point into.
  std::vector<std::vector<JsonLeaf>> leaves;  ///< Per path given to DecodeLeaves, per row.
  std::deque<std::string> leaf_values;        ///< What the leaves point into.
  std::vector<ServiceLevels> service_levels;
};

/// Writes one part file from rows given in (timestamp, seq) order: blocks of up to
/// `rows_per_block` rows, each column zstd-compressed, then the index and the id
/// bloom filter, and a trailer with the checksum of everything before it. The caller renames
/// the finished file into place (write to a temporary name, fsync, rename, fsync the folder).
class PartWriter {
 public:
  struct Options {
    size_t rows_per_block = 4096;
    size_t max_block_bytes = 4 << 20;  ///< Bytes of the block's documents.
    int zstd_level = 1;
  };

  [[nodiscard]] static Result<std::unique_ptr<PartWriter>> Create(const std::filesystem::path& path,
                                                                  Options options);
  ~PartWriter();

  [[nodiscard]] Result<void> Add(const RowView& row);
  /// Writes the index and trailer and fsyncs the file. Returns the file's size.
  [[nodiscard]] Result<uint64_t> Finish();
  [[nodiscard]] uint64_t rows() const { return rows_; }

 private:
  PartWriter() = default;
  Result<void> FlushBlock();
  Result<void> Append(std::string_view bytes);
  Result<void> Drain();

  std::filesystem::path path_;
  Options options_;
  UniqueFd fd_;
  struct HashState;
  std::unique_ptr<HashState> hash_;
  std::string out_;
  uint64_t written_ = 0;  ///< Bytes handed to the file so far (including out_).
  uint64_t rows_ = 0;
  std::string index_;
  uint32_t blocks_ = 0;
  std::vector<uint64_t> id_hashes_;  // Of every id, for the part's id bloom filter.
  // The block being filled.
  std::array<std::string, kColumns> columns_;
  // Low-cardinality columns are dictionary-coded per block: the names in first-seen order,
  // then a code per row.
  struct Dictionary {
    std::unordered_map<std::string, uint32_t> codes;
    std::vector<std::string_view> order;
    /// The name's code; a name new to the block also goes into `bloom_keys` as `field`'s.
    uint32_t CodeOf(std::string_view field, std::string_view name,
                    std::vector<uint64_t>& bloom_keys);
    /// The dictionary's bytes followed by the codes already in `column`.
    void Prepend(std::string& column) const;
    void Clear();
  };
  Dictionary services_;
  Dictionary hosts_;
  Dictionary tenants_;
  std::vector<std::array<uint32_t, kLevels>> service_levels_;  ///< By service code.
  JsonColumnWriter jsons_;
  size_t json_bytes_ = 0;  ///< Of the block's documents, for max_block_bytes.
  std::vector<uint64_t> token_hashes_;
  std::string token_scratch_;
  BlockSummary block_{};
  int64_t previous_timestamp_ = 0;
  uint64_t previous_seq_ = 0;
  std::string compressed_;
};

/// An immutable part, opened from its file: its checksum verified at open, the index parsed and
/// the bloom filters kept in memory; a block's columns are read (pread) and decompressed only
/// when a query needs them. The file is not memory-mapped: pages a mapping touched would stay in
/// the process's RSS until it reached the store's size (the page cache keeps them either way).
/// Shared between queries as shared_ptr<const Part>; thread-safe.
class Part {
 public:
  /// Errors are permanent and say what is wrong (truncated, checksum, version).
  [[nodiscard]] static Result<std::shared_ptr<const Part>> Open(const std::filesystem::path& path);
  ~Part();
  Part(const Part&) = delete;
  Part& operator=(const Part&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] uint64_t rows() const { return rows_; }
  [[nodiscard]] uint64_t file_bytes() const { return size_; }
  [[nodiscard]] const std::vector<BlockSummary>& blocks() const { return blocks_; }
  [[nodiscard]] std::string_view Bloom(size_t block) const;
  /// Whether blocks have the service levels column (format 3 on).
  [[nodiscard]] bool has_service_levels() const { return version_ >= 3; }

  /// Decompresses the columns of `block` named in `columns` (a bit per Column); a column the
  /// part's format version does not have is left empty.
  [[nodiscard]] Result<void> Decode(size_t block, uint32_t columns, DecodedBlock& out) const;
  /// Reads each row's document values at `paths` from the json column into `out.leaves`
  /// (ReadJsonLeaves), without rebuilding the documents. False when the block's documents must
  /// be rebuilt and parsed instead (a part of format version 1, or what ReadJsonLeaves cannot
  /// answer for).
  [[nodiscard]] Result<bool> DecodeLeaves(size_t block,
                                          std::span<const std::vector<std::string>> paths,
                                          DecodedBlock& out) const;
  /// The row holding `id`, if this part has it.
  [[nodiscard]] Result<std::optional<uint32_t>> FindId(std::string_view id) const;
  /// The block holding `row`.
  [[nodiscard]] size_t BlockOfRow(uint32_t row) const;

 private:
  Part() = default;
  /// Reads and decompresses a column into out.raw[column].
  Result<void> Inflate(size_t block, size_t column, DecodedBlock& out) const;
  /// A column's bytes as the file holds them, read into `buffer`.
  Result<std::string_view> Read(size_t block, Column column, std::string& buffer) const;
  Result<void> ReadAt(uint64_t offset, uint64_t bytes, std::string& out) const;

  std::filesystem::path path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  uint32_t version_ = kPartFormatVersion;
  uint64_t rows_ = 0;
  std::vector<BlockSummary> blocks_;
  std::string id_bloom_;
  std::string blooms_;                  ///< Every block's bloom filter, in block order.
  std::vector<uint64_t> bloom_starts_;  ///< Where each block's is in blooms_.
};

inline constexpr size_t ColumnIndex(Column column) { return static_cast<size_t>(column); }
inline constexpr uint32_t ColumnBit(Column column) { return 1U << static_cast<uint32_t>(column); }

}  // namespace lp::search::logstore
