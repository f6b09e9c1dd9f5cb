// The log store's read path: Search, Get, Histogram and Facet over a snapshot of parts and
// buffered chunks. Every query compiles its filter once (QueryPlan), lists the units (part
// blocks and chunks) whose summaries allow a match, and reads only the columns it needs.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/level.h"
#include "search/logstore/document_shape.h"
#include "search/logstore/log_store.h"
#include "search/logstore/log_store_state.h"
#include "search/logstore/query_plan.h"

namespace lp::search::logstore {
namespace {

constexpr uint32_t kRowColumns = ColumnBit(Column::kTimestamp) | ColumnBit(Column::kLevel);

// A part block or a buffered chunk, with what is known of it without reading it.
struct Unit {
  const Part* part = nullptr;
  size_t block = 0;
  const LogStore::Chunk* chunk = nullptr;
  const std::vector<uint32_t>* deleted = nullptr;
  int64_t min_ts = 0;
  int64_t max_ts = 0;

  [[nodiscard]] bool HasDeletions() const {
    if (chunk != nullptr) return !deleted->empty();
    const auto& summary = part->blocks()[block];
    return AnyIn(*deleted, summary.first_row, summary.rows);
  }
};

std::vector<Unit> CandidateUnits(const LogStore::State& state, const QueryPlan& plan) {
  std::vector<Unit> units;
  for (const auto& view : state.parts) {
    const auto& blocks = view.part->blocks();
    for (size_t b = 0; b < blocks.size(); ++b) {
      if (!plan.MayMatch(blocks[b], view.part->Bloom(b))) continue;
      units.push_back(Unit{view.part.get(), b, nullptr, view.deleted.get(),
                           blocks[b].min_timestamp_ms, blocks[b].max_timestamp_ms});
    }
  }
  for (const auto& view : state.chunks) {
    if (!plan.MayMatchTimes(view.chunk->min_ts, view.chunk->max_ts)) continue;
    units.push_back(Unit{nullptr, 0, view.chunk.get(), view.deleted.get(), view.chunk->min_ts,
                         view.chunk->max_ts});
  }
  return units;
}

// Reads a unit's rows with the columns in `columns` (and timestamp and level), calling
// visit(row index, row) for each live row the plan matches; `scratch` then holds the row.
// Document fields are read at `paths` (every one the plan and the visit read) straight from the
// json column's values where the part allows, and by rebuilding the documents where not.
template <typename Visit>
Result<void> ScanUnit(const Unit& unit, const QueryPlan& plan, uint32_t columns,
                      std::span<const std::vector<std::string>> paths, DecodedBlock& decoded,
                      RowScratch& scratch, Visit&& visit) {
  if (unit.chunk != nullptr) {
    const auto& chunk = *unit.chunk;
    for (uint32_t r = 0; r < chunk.rows.size(); ++r) {
      const auto& row = chunk.rows[r];
      const RowRef ref{row.ts,           row.level,          chunk.Service(row),
                       chunk.Host(row),  chunk.Message(row), chunk.Json(row),
                       chunk.Tenant(row)};
      if (!plan.Matches(ref, scratch) || Contains(*unit.deleted, r)) continue;
      visit(r, ref);
    }
    return {};
  }
  const auto& block = unit.part->blocks()[unit.block];
  columns |= kRowColumns | plan.columns();
  constexpr uint32_t kJsonBit = ColumnBit(Column::kJson);
  BlockLeaves leaves{paths, nullptr};
  if ((columns & kJsonBit) != 0) {
    auto read = unit.part->DecodeLeaves(unit.block, paths, decoded);
    if (!read) return tl::unexpected(read.error());
    if (*read) {
      columns &= ~kJsonBit;
      leaves.values = &decoded.leaves;
    }
  }
  if (auto done = unit.part->Decode(unit.block, columns, decoded); !done) return done;
  const bool any_deleted = AnyIn(*unit.deleted, block.first_row, block.rows);
  const bool services = (columns & ColumnBit(Column::kService)) != 0;
  const bool hosts = (columns & ColumnBit(Column::kHost)) != 0;
  const bool messages = (columns & ColumnBit(Column::kMessage)) != 0;
  const bool tenants = (columns & ColumnBit(Column::kTenant)) != 0;
  const bool jsons = (columns & kJsonBit) != 0;
  for (uint32_t r = 0; r < block.rows; ++r) {
    const RowRef ref{
        decoded.timestamps[r],
        decoded.levels[r],
        services ? decoded.services[decoded.service_codes[r]] : "",
        hosts ? decoded.hosts[decoded.host_codes[r]] : "",
        messages ? decoded.messages[r] : "",
        jsons ? decoded.jsons[r] : "",
        tenants ? decoded.tenants[decoded.tenant_codes[r]] : "",
        leaves.values != nullptr ? &leaves : nullptr,
        r,
    };
    if (!plan.Matches(ref, scratch)) continue;
    if (any_deleted && Contains(*unit.deleted, block.first_row + r)) continue;
    visit(r, ref);
  }
  return {};
}

// The rows the plan takes per level in a unit, from its block's summaries alone (the index's
// level counts, or the service levels column when the plan names a service); nullopt when the
// rows must be read.
Result<std::optional<std::array<uint64_t, kLevels>>> SummaryLevelCounts(const Unit& unit,
                                                                        const QueryPlan& plan,
                                                                        DecodedBlock& decoded) {
  if (unit.part == nullptr || unit.HasDeletions() || !plan.summary_answers()) return std::nullopt;
  const auto& block = unit.part->blocks()[unit.block];
  if (!plan.Covers(block)) return std::nullopt;
  if (!plan.counts_by_service()) return plan.LevelCountsFromSummary(block, {});
  if (!unit.part->has_service_levels()) return std::nullopt;
  if (auto done = unit.part->Decode(unit.block, ColumnBit(Column::kServiceLevels), decoded);
      !done) {
    return tl::unexpected(done.error());
  }
  return plan.LevelCountsFromSummary(block, decoded.service_levels);
}

// Calls add(service, rows) for each service of a unit with rows the plan takes, from the block's
// service levels; false (nothing added) when the rows must be read instead.
template <typename Add>
Result<bool> ServiceCountsFromSummary(const Unit& unit, const QueryPlan& plan,
                                      DecodedBlock& decoded, Add&& add) {
  if (unit.part == nullptr || unit.HasDeletions() || !plan.summary_answers() ||
      !unit.part->has_service_levels() || !plan.Covers(unit.part->blocks()[unit.block])) {
    return false;
  }
  if (auto done = unit.part->Decode(unit.block, ColumnBit(Column::kServiceLevels), decoded);
      !done) {
    return tl::unexpected(done.error());
  }
  for (const auto& entry : decoded.service_levels) {
    if (const uint64_t rows = plan.CountOf(entry); rows > 0) add(entry.service, rows);
  }
  return true;
}

// Every document path a query reads: its filter's, and the one it groups by.
std::vector<std::vector<std::string>> PathsRead(const QueryPlan& plan, const FieldSource& field) {
  auto paths = plan.document_paths();
  if (field.kind == FieldSource::Kind::kDocument &&
      std::find(paths.begin(), paths.end(), field.path) == paths.end()) {
    paths.push_back(field.path);
  }
  return paths;
}

// The document as written, from a buffered row or a decoded block's row (DocumentColumns).
std::string DocumentOf(const LogStore::Chunk& chunk, const LogStore::Chunk::Row& row) {
  return RebuildDocument(chunk.Json(row), row.members,
                         {.timestamp_ms = row.ts,
                          .tenant = chunk.Tenant(row),
                          .service = chunk.Service(row),
                          .level = LevelName(static_cast<Level>(row.level)),
                          .message = chunk.Message(row),
                          .host = chunk.Host(row)});
}

constexpr uint32_t kDocumentColumns = ColumnBit(Column::kTimestamp) | ColumnBit(Column::kLevel) |
                                      ColumnBit(Column::kService) | ColumnBit(Column::kHost) |
                                      ColumnBit(Column::kMessage) | ColumnBit(Column::kJson) |
                                      ColumnBit(Column::kMembers) | ColumnBit(Column::kTenant);

std::string DocumentOf(const DecodedBlock& block, uint32_t row) {
  return RebuildDocument(block.jsons[row], block.members[row],
                         {.timestamp_ms = block.timestamps[row],
                          .tenant = block.tenants[block.tenant_codes[row]],
                          .service = block.services[block.service_codes[row]],
                          .level = LevelName(static_cast<Level>(block.levels[row])),
                          .message = block.messages[row],
                          .host = block.hosts[block.host_codes[row]]});
}

Result<void> CheckCancelled(const SearchQuery& query) {
  if (query.cancellation != nullptr && query.cancellation->cancelled()) {
    return Retryable("query cancelled");
  }
  return {};
}

// Counts by value, looked up by string_view without making a string each time.
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
using ValueCounts = std::unordered_map<std::string, uint64_t, ViewHash, std::equal_to<>>;

void AddCount(ValueCounts& counts, std::string_view value, uint64_t count) {
  if (auto found = counts.find(value); found != counts.end()) {
    found->second += count;
  } else {
    counts.emplace(value, count);
  }
}

struct Candidate {
  Position position;
  uint32_t unit = 0;
  uint32_t row = 0;
};

}  // namespace

Result<SearchPage> LogStore::Search(const SearchQuery& query) {
  if (query.limit == 0 || query.limit > kMaxPageSize) {
    return Permanent("limit must be from 1 to " + std::to_string(kMaxPageSize));
  }
  auto plan = QueryPlan::Compile(query.filter, query.from_ms, query.to_ms);
  if (!plan) return tl::unexpected(plan.error());
  const bool newest_first = query.order == SortOrder::kNewestFirst;
  const auto state = Snapshot();
  auto units = CandidateUnits(*state, *plan);
  // In the order hits are wanted, so that once the page is full the first unit that cannot
  // reach it ends the page's search.
  std::sort(units.begin(), units.end(), [newest_first](const Unit& a, const Unit& b) {
    return newest_first ? a.max_ts > b.max_ts : a.min_ts < b.min_ts;
  });
  // `better(a, b)`: a comes before b in the query's order.
  const auto better = [newest_first](const Position& a, const Position& b) {
    return newest_first ? a > b : a < b;
  };
  const auto wanted = [&](const Position& position) {
    return !query.after || better(*query.after, position);
  };
  const size_t keep = query.limit + 1;  // One more tells whether another page follows.
  // A heap whose front is the worst of the best `keep` candidates so far.
  std::vector<Candidate> best;
  const auto heap_order = [&](const Candidate& a, const Candidate& b) {
    return better(a.position, b.position);
  };
  // Counting stops one past the limit: enough to know the total is a lower bound.
  const uint64_t count_until =
      query.total_limit ? *query.total_limit + 1 : std::numeric_limits<uint64_t>::max();
  uint64_t counted = 0;

  DecodedBlock decoded;
  RowScratch scratch;
  for (uint32_t u = 0; u < units.size(); ++u) {
    if (auto cancelled = CheckCancelled(query); !cancelled)
      return tl::unexpected(cancelled.error());
    const auto& unit = units[u];
    bool page_reachable = true;
    if (best.size() == keep) {
      const int64_t worst = best.front().position.timestamp_ms;
      page_reachable = newest_first ? unit.max_ts >= worst : unit.min_ts <= worst;
    }
    if (page_reachable && query.after) {
      page_reachable = newest_first ? unit.min_ts <= query.after->timestamp_ms
                                    : unit.max_ts >= query.after->timestamp_ms;
    }
    if (!page_reachable) {
      // Units come in the page's order: none after this one reaches the page either.
      if (counted >= count_until) break;
      auto counts = SummaryLevelCounts(unit, *plan, decoded);
      if (!counts) return tl::unexpected(counts.error());
      if (*counts) {
        for (const uint64_t count : **counts) counted += count;
        continue;
      }
    }
    // A unit that cannot reach the page is only counted: its ids are not read.
    const uint32_t columns = page_reachable ? ColumnBit(Column::kId) : 0;
    auto scanned = ScanUnit(unit, *plan, columns, plan->document_paths(), decoded, scratch,
                            [&](uint32_t row, const RowRef& ref) {
                              ++counted;
                              if (!page_reachable) return;
                              std::string_view id = unit.chunk != nullptr
                                                        ? unit.chunk->Id(unit.chunk->rows[row])
                                                        : decoded.ids[row];
                              Position position{ref.timestamp_ms, std::string(id)};
                              if (!wanted(position)) return;
                              if (best.size() == keep) {
                                if (!better(position, best.front().position)) return;
                                std::pop_heap(best.begin(), best.end(), heap_order);
                                best.pop_back();
                              }
                              best.push_back(Candidate{std::move(position), u, row});
                              std::push_heap(best.begin(), best.end(), heap_order);
                            });
    if (!scanned) return tl::unexpected(scanned.error());
  }

  SearchPage page;
  if (query.total_limit && counted > *query.total_limit) {
    page.total = *query.total_limit;
    page.total_relation = TotalRelation::kGreaterEqual;
  } else {
    page.total = counted;
  }
  std::sort(best.begin(), best.end(), heap_order);
  if (best.size() > query.limit) {
    best.resize(query.limit);
    page.next = best.back().position;
  }
  // The documents, decoding each block once.
  std::vector<size_t> order(best.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return best[a].unit < best[b].unit; });
  page.hits.resize(best.size());
  uint32_t decoded_unit = UINT32_MAX;
  for (const size_t i : order) {
    const auto& candidate = best[i];
    const auto& unit = units[candidate.unit];
    auto& hit = page.hits[i];
    hit.id = candidate.position.id;
    hit.timestamp_ms = candidate.position.timestamp_ms;
    if (unit.chunk != nullptr) {
      hit.json = DocumentOf(*unit.chunk, unit.chunk->rows[candidate.row]);
      continue;
    }
    if (decoded_unit != candidate.unit) {
      if (auto done = unit.part->Decode(unit.block, kDocumentColumns, decoded); !done) {
        return tl::unexpected(done.error());
      }
      decoded_unit = candidate.unit;
    }
    hit.json = DocumentOf(decoded, candidate.row);
  }
  return page;
}

Result<SearchHit> LogStore::Get(std::string_view id) {
  const auto state = Snapshot();
  // The newest version first: the buffer's chunks, then the parts.
  for (auto view = state->chunks.rbegin(); view != state->chunks.rend(); ++view) {
    const auto& chunk = *view->chunk;
    for (uint32_t r = 0; r < chunk.rows.size(); ++r) {
      const auto& row = chunk.rows[r];
      if (chunk.Id(row) != id || Contains(*view->deleted, r)) continue;
      return SearchHit{std::string(id), DocumentOf(chunk, row), row.ts};
    }
  }
  DecodedBlock decoded;
  for (auto view = state->parts.rbegin(); view != state->parts.rend(); ++view) {
    auto row = view->part->FindId(id);
    if (!row) return tl::unexpected(row.error());
    if (!*row || Contains(*view->deleted, **row)) continue;
    const size_t block = view->part->BlockOfRow(**row);
    if (auto done = view->part->Decode(block, kDocumentColumns, decoded); !done) {
      return tl::unexpected(done.error());
    }
    const uint32_t at = **row - view->part->blocks()[block].first_row;
    return SearchHit{std::string(id), DocumentOf(decoded, at), decoded.timestamps[at]};
  }
  return tl::unexpected(Error{ErrorClass::kNotFound, "no document with id " + std::string(id)});
}

Result<std::vector<HistogramBucket>> LogStore::Histogram(const SearchQuery& query,
                                                         const HistogramRequest& request) {
  if (request.interval_ms <= 0) return Permanent("interval must be positive");
  if (auto checked = CheckGroupingField(request.by); !checked) {
    return tl::unexpected(checked.error());
  }
  auto field = FieldSource::Of(request.by);
  if (!field) return tl::unexpected(field.error());
  auto plan = QueryPlan::Compile(query.filter, query.from_ms, query.to_ms);
  if (!plan) return tl::unexpected(plan.error());
  const auto state = Snapshot();
  const auto units = CandidateUnits(*state, *plan);
  const auto paths = PathsRead(*plan, *field);
  const int64_t interval = request.interval_ms;
  const auto bucket_of = [interval](int64_t ts) {
    // Floor division, so buckets before 1970 line up too.
    return ts - (((ts % interval) + interval) % interval);
  };
  const bool by_level = field->kind == FieldSource::Kind::kLevel;
  std::map<int64_t, std::array<uint64_t, kLevels>> level_counts;
  std::map<int64_t, ValueCounts> value_counts;
  DecodedBlock decoded;
  RowScratch scratch;
  std::string owned;
  for (const auto& unit : units) {
    if (auto cancelled = CheckCancelled(query); !cancelled)
      return tl::unexpected(cancelled.error());
    // A block within one bucket is counted from its summaries when they tell.
    if (bucket_of(unit.min_ts) == bucket_of(unit.max_ts)) {
      const int64_t start = bucket_of(unit.min_ts);
      if (by_level) {
        auto counts = SummaryLevelCounts(unit, *plan, decoded);
        if (!counts) return tl::unexpected(counts.error());
        if (*counts) {
          auto& bucket = level_counts[start];
          for (size_t level = 0; level < kLevels; ++level) bucket[level] += (**counts)[level];
          continue;
        }
      } else if (field->kind == FieldSource::Kind::kService) {
        auto counted = ServiceCountsFromSummary(unit, *plan, decoded,
                                                [&](std::string_view service, uint64_t rows) {
                                                  AddCount(value_counts[start], service, rows);
                                                });
        if (!counted) return tl::unexpected(counted.error());
        if (*counted) continue;
      }
    }
    auto scanned = ScanUnit(unit, *plan, field->Columns(), paths, decoded, scratch,
                            [&](uint32_t, const RowRef& ref) {
                              const int64_t start = bucket_of(ref.timestamp_ms);
                              if (by_level) {
                                ++level_counts[start][ref.level];
                                return;
                              }
                              if (const auto value = field->Text(ref, scratch, owned)) {
                                AddCount(value_counts[start], *value, 1);
                              }
                            });
    if (!scanned) return tl::unexpected(scanned.error());
  }
  for (const auto& [start, counts] : level_counts) {
    auto& values = value_counts[start];
    for (size_t level = 0; level < kLevels; ++level) {
      if (counts[level] > 0)
        values[std::string(LevelName(static_cast<Level>(level)))] = counts[level];
    }
  }
  std::vector<HistogramBucket> buckets;
  for (auto& [start, counts] : value_counts) {
    std::vector<std::pair<std::string, uint64_t>> values(counts.begin(), counts.end());
    // The biggest groups (ties: the smaller value), then listed by value.
    std::sort(values.begin(), values.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (values.size() > request.groups) values.resize(request.groups);
    std::sort(values.begin(), values.end());
    for (auto& [value, count] : values) buckets.push_back({start, std::move(value), count});
  }
  return buckets;
}

Result<Facets> LogStore::Facet(const SearchQuery& query, std::string_view field_name, size_t size) {
  if (size == 0 || size > 1000) return Permanent("size must be from 1 to 1000");
  if (auto checked = CheckGroupingField(field_name); !checked) {
    return tl::unexpected(checked.error());
  }
  auto field = FieldSource::Of(field_name);
  if (!field) return tl::unexpected(field.error());
  auto plan = QueryPlan::Compile(query.filter, query.from_ms, query.to_ms);
  if (!plan) return tl::unexpected(plan.error());
  const auto state = Snapshot();
  const auto units = CandidateUnits(*state, *plan);
  const auto paths = PathsRead(*plan, *field);
  ValueCounts counts;
  // Service and host are dictionary-coded per block: counted by code, named once per block.
  const bool coded =
      field->kind == FieldSource::Kind::kService || field->kind == FieldSource::Kind::kHost;
  std::vector<uint64_t> code_counts;
  DecodedBlock decoded;
  RowScratch scratch;
  std::string owned;
  for (const auto& unit : units) {
    if (auto cancelled = CheckCancelled(query); !cancelled)
      return tl::unexpected(cancelled.error());
    if (field->kind == FieldSource::Kind::kService) {
      auto counted = ServiceCountsFromSummary(
          unit, *plan, decoded,
          [&](std::string_view service, uint64_t rows) { AddCount(counts, service, rows); });
      if (!counted) return tl::unexpected(counted.error());
      if (*counted) continue;
    }
    if (coded && unit.part != nullptr) {
      const bool service = field->kind == FieldSource::Kind::kService;
      const auto& codes = service ? decoded.service_codes : decoded.host_codes;
      code_counts.clear();
      const auto count_code = [&](uint32_t row) {
        const uint32_t code = codes[row];
        if (code >= code_counts.size()) code_counts.resize(code + 1);
        ++code_counts[code];
      };
      if (!unit.HasDeletions() && plan->TakesEveryRow(unit.part->blocks()[unit.block])) {
        // Nothing to test row by row: the codes alone are read.
        if (auto done = unit.part->Decode(unit.block, field->Columns(), decoded); !done) {
          return tl::unexpected(done.error());
        }
        for (uint32_t row = 0; row < codes.size(); ++row) count_code(row);
      } else {
        auto scanned = ScanUnit(unit, *plan, field->Columns(), paths, decoded, scratch,
                                [&](uint32_t row, const RowRef&) { count_code(row); });
        if (!scanned) return tl::unexpected(scanned.error());
      }
      const auto& names = service ? decoded.services : decoded.hosts;
      for (size_t code = 0; code < code_counts.size(); ++code) {
        if (code_counts[code] > 0 && !names[code].empty())
          AddCount(counts, names[code], code_counts[code]);
      }
      continue;
    }
    auto scanned = ScanUnit(unit, *plan, field->Columns(), paths, decoded, scratch,
                            [&](uint32_t, const RowRef& ref) {
                              if (const auto value = field->Text(ref, scratch, owned))
                                AddCount(counts, *value, 1);
                            });
    if (!scanned) return tl::unexpected(scanned.error());
  }
  std::vector<FacetValue> values;
  values.reserve(counts.size());
  for (auto& [value, count] : counts) values.push_back({value, count});
  const auto top = [](const FacetValue& a, const FacetValue& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  };
  Facets facets;
  if (values.size() > size) {
    std::partial_sort(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(size),
                      values.end(), top);
    for (size_t i = size; i < values.size(); ++i) facets.other += values[i].count;
    values.resize(size);
  } else {
    std::sort(values.begin(), values.end(), top);
  }
  facets.values = std::move(values);
  return facets;
}

}  // namespace lp::search::logstore
