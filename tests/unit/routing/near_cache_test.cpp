// The near cache's rules of issue #18 (item 2) as tables: the fill rule (a fill is stored only if
// nothing that invalidates its key happened between its send and its reply), what a write does,
// which reads may be served or fill, the prefixes Redis accepts, and the store's bounds.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "command/command_table.hpp"
#include "routing/near_cache_guard.hpp"
#include "routing/near_cache_rule.hpp"
#include "routing/near_cache_store.hpp"

namespace funnel::routing {
namespace {

constexpr std::uint64_t kSnapshot = 7;

// Two keys in different buckets (the guard's buckets are shared by keys that hash alike).
std::string other_key() {
  for (int i = 0;; ++i) {
    std::string k = "nc:other" + std::to_string(i);
    if (NearCacheGuard::bucket_of(k) != NearCacheGuard::bucket_of("nc:k")) return k;
  }
}

// The fill rule: events between a fill's send (open_fill) and its reply (current).
TEST(NearCacheGuard, AFillIsStoredOnlyIfNothingInvalidatedItsKeyInFlight) {
  const std::uint32_t k = NearCacheGuard::bucket_of("nc:k");
  const std::string other = other_key();
  struct Row {
    const char* what;
    std::function<void(NearCacheGuard&)> before_send;
    std::function<void(NearCacheGuard&)> in_flight;
    bool opened;  // open_fill's verdict
    bool stored;  // current() at the reply
  };
  const auto nothing = [](NearCacheGuard&) {};
  const std::vector<Row> rows = {
      {"nothing happened", nothing, nothing, true, true},
      {"Redis invalidated another key", nothing, [&](NearCacheGuard& g) { g.invalidate(other); },
       true, true},
      {"Redis invalidated the key", nothing, [](NearCacheGuard& g) { g.invalidate("nc:k"); }, true,
       false},
      {"a flush (null invalidation)", nothing, [](NearCacheGuard& g) { g.drop_all(); }, true,
       false},
      {"the tracking link was lost", nothing, [](NearCacheGuard& g) { g.lost(); }, true, false},
      {"lost and subscribed again", nothing,
       [](NearCacheGuard& g) {
         g.lost();
         g.subscribed(kSnapshot);
       },
       true, false},
      {"a write through Funnel sent", nothing, [&](NearCacheGuard& g) { g.write_sent(k); }, true,
       false},
      {"a write sent and answered", nothing,
       [&](NearCacheGuard& g) {
         g.write_sent(k);
         g.write_answered(k);
       },
       true, false},
      {"a write to another key, answered", nothing,
       [&](NearCacheGuard& g) {
         const std::uint32_t o = NearCacheGuard::bucket_of(other);
         g.write_sent(o);
         g.write_answered(o);
       },
       true, true},
      {"a script (keys unknown) sent", nothing, [](NearCacheGuard& g) { g.unlisted_sent(); }, true,
       false},
      {"a write already in flight at the send", [&](NearCacheGuard& g) { g.write_sent(k); },
       nothing, false, false},
      {"a write in flight at the send, answered before the reply",
       [&](NearCacheGuard& g) { g.write_sent(k); }, [&](NearCacheGuard& g) { g.write_answered(k); },
       false, false},
      {"a script in flight at the send", [](NearCacheGuard& g) { g.unlisted_sent(); }, nothing,
       false, false},
      {"a write answered before the send",
       [&](NearCacheGuard& g) {
         g.write_sent(k);
         g.write_answered(k);
       },
       nothing, true, true},
      {"not subscribed at the send", [](NearCacheGuard& g) { g.lost(); },
       [](NearCacheGuard& g) { g.subscribed(kSnapshot); }, false, false},
  };
  for (const Row& row : rows) {
    NearCacheGuard guard;
    guard.subscribed(kSnapshot);
    row.before_send(guard);
    CacheTicket ticket;
    EXPECT_EQ(guard.open_fill(k, kSnapshot, ticket), row.opened) << row.what;
    row.in_flight(guard);
    EXPECT_EQ(row.opened && guard.current(ticket), row.stored) << row.what;
  }
}

TEST(NearCacheGuard, FillsComeOnlyFromThePrimaryTheLinkTracks) {
  NearCacheGuard guard;
  CacheTicket ticket;
  const std::uint32_t k = NearCacheGuard::bucket_of("nc:k");
  EXPECT_FALSE(guard.open_fill(k, kSnapshot, ticket)) << "never subscribed";
  guard.subscribed(kSnapshot);
  EXPECT_FALSE(guard.open_fill(k, kSnapshot + 1, ticket)) << "a worker on another snapshot";
  EXPECT_TRUE(guard.open_fill(k, kSnapshot, ticket));
}

TEST(NearCacheGuard, AStoredEntryGoesStaleWithItsKeyAndStaysStaleWhileAWriteIsInFlight) {
  NearCacheGuard guard;
  guard.subscribed(kSnapshot);
  const std::uint32_t k = NearCacheGuard::bucket_of("nc:k");
  CacheTicket ticket;
  ASSERT_TRUE(guard.open_fill(k, kSnapshot, ticket));
  guard.write_sent(k);
  EXPECT_FALSE(guard.current(ticket));
  CacheTicket during;
  EXPECT_FALSE(guard.open_fill(k, kSnapshot, during)) << "kept uncached until the reply";
  guard.write_answered(k);
  EXPECT_TRUE(guard.open_fill(k, kSnapshot, during));
  EXPECT_TRUE(guard.current(during));
}

CacheReadFacts servable() {
  CacheReadFacts r;
  r.listed = true;
  r.one_key = true;
  r.key_under_prefix = true;
  r.to_primary = true;
  return r;
}

TEST(NearCacheRule, ServingNeedsEveryCondition) {
  struct Row {
    const char* what;
    void (*change)(CacheReadFacts&);
    CacheUse use;
  };
  const std::vector<Row> rows = {
      {"all hold", [](CacheReadFacts&) {}, CacheUse::kServeOrFill},
      {"to a replica: served, never filled", [](CacheReadFacts& r) { r.to_primary = false; },
       CacheUse::kServeOnly},
      {"command not listed", [](CacheReadFacts& r) { r.listed = false; }, CacheUse::kNone},
      {"two keys (MGET a b)", [](CacheReadFacts& r) { r.one_key = false; }, CacheUse::kNone},
      {"key under no prefix", [](CacheReadFacts& r) { r.key_under_prefix = false; },
       CacheUse::kNone},
      {"in MULTI", [](CacheReadFacts& r) { r.in_multi = true; }, CacheUse::kNone},
      {"pinned", [](CacheReadFacts& r) { r.pinned = true; }, CacheUse::kNone},
      {"tracking", [](CacheReadFacts& r) { r.tracking = true; }, CacheUse::kNone},
      {"REPLY OFF", [](CacheReadFacts& r) { r.reply_off = true; }, CacheUse::kNone},
      {"reply edited", [](CacheReadFacts& r) { r.reply_edited = true; }, CacheUse::kNone},
      {"subscribed", [](CacheReadFacts& r) { r.subscribed = true; }, CacheUse::kNone},
      {"an earlier request in flight", [](CacheReadFacts& r) { r.earlier_in_flight = true; },
       CacheUse::kNone},
  };
  for (const Row& row : rows) {
    CacheReadFacts r = servable();
    row.change(r);
    EXPECT_EQ(cache_use(r), row.use) << row.what;
  }
}

TEST(NearCacheRule, WritesDropTheirKeysOrEverything) {
  const auto table = command::CommandTable::builtin();
  struct Row {
    const char* name;
    bool read_only;
    WriteScope scope;
  };
  const std::vector<Row> rows = {
      {"get", true, WriteScope::kNone},      {"publish", false, WriteScope::kNone},
      {"set", false, WriteScope::kKeys},     {"del", false, WriteScope::kKeys},
      {"hset", false, WriteScope::kKeys},    {"move", false, WriteScope::kKeys},
      {"flushall", false, WriteScope::kAll}, {"flushdb", false, WriteScope::kAll},
      {"swapdb", false, WriteScope::kAll},   {"eval", false, WriteScope::kAll},
      {"evalsha", false, WriteScope::kAll},  {"fcall", false, WriteScope::kAll},
      {"exec", false, WriteScope::kAll},     {"sort", false, WriteScope::kAll},
  };
  for (const Row& row : rows) {
    const command::CommandSpec* spec = table->find(row.name);
    ASSERT_NE(spec, nullptr) << row.name;
    EXPECT_EQ(write_scope(spec, row.read_only), row.scope) << row.name;
  }
  EXPECT_EQ(write_scope(nullptr, false), WriteScope::kAll) << "an unknown command";
}

TEST(NearCacheRule, PrefixesMustNotOverlap) {
  struct Row {
    const char* list;
    std::size_t count;  // 0: refused
  };
  const std::vector<Row> rows = {
      {"config:", 1}, {"config: flags:", 2}, {"config:,flags:", 2}, {"", 0},
      {"  ", 0},      {"nc nc:", 0},         {"nc: nc:sub:", 0},    {"a: b: a:", 0},
  };
  for (const Row& row : rows) {
    std::string error;
    EXPECT_EQ(split_prefixes(row.list, error).size(), row.count) << row.list;
    EXPECT_EQ(error.empty(), row.count != 0) << row.list;
  }
  EXPECT_TRUE(under_prefix("config:a", {"flags:", "config:"}));
  EXPECT_FALSE(under_prefix("confi", {"config:"}));
}

TEST(NearCacheRule, CommandsMustBeDeterministicReadsOfTheirFirstArgument) {
  std::vector<std::string> refused;
  EXPECT_EQ(split_near_cache_commands(default_near_cache_commands(), refused).size(), 9u);
  EXPECT_TRUE(refused.empty());
  split_near_cache_commands("get set srandmember time nosuch", refused);
  EXPECT_EQ(refused, (std::vector<std::string>{"set", "srandmember", "time", "nosuch"}));
  const auto table = command::CommandTable::builtin();
  EXPECT_TRUE(names_one_key(*table->find("get"), 2));
  EXPECT_TRUE(names_one_key(*table->find("hget"), 3));
  EXPECT_TRUE(names_one_key(*table->find("mget"), 2));
  EXPECT_FALSE(names_one_key(*table->find("mget"), 3));
  EXPECT_FALSE(names_one_key(*table->find("exists"), 3));
}

TEST(NearCacheStore, StoresOnlyCurrentFillsAndDropsStaleEntries) {
  NearCacheGuard guard;
  guard.subscribed(kSnapshot);
  NearCacheStore store(guard, NearCacheLimits{});
  const CacheKey get_k{0, 2, "*2\r\n$3\r\nGET\r\n$4\r\nnc:k\r\n"};
  CacheTicket t;
  ASSERT_TRUE(guard.open_fill(NearCacheGuard::bucket_of("nc:k"), kSnapshot, t));
  EXPECT_TRUE(store.store(get_k, "$1\r\nv\r\n", t));
  EXPECT_EQ(store.find(get_k), "$1\r\nv\r\n");
  EXPECT_TRUE(store.find({1, 2, get_k.request}).empty()) << "another database";
  EXPECT_TRUE(store.find({0, 3, get_k.request}).empty()) << "RESP3 has its own entry";
  guard.invalidate("nc:k");
  EXPECT_TRUE(store.find(get_k).empty());
  EXPECT_EQ(store.entries(), 0u);
  ASSERT_TRUE(guard.open_fill(NearCacheGuard::bucket_of("nc:k"), kSnapshot, t));
  guard.invalidate("nc:k");
  EXPECT_FALSE(store.store(get_k, "$1\r\nv\r\n", t)) << "invalidated in flight";
  ASSERT_TRUE(guard.open_fill(NearCacheGuard::bucket_of("nc:k"), kSnapshot, t));
  ASSERT_TRUE(store.store(get_k, "$1\r\nv\r\n", t));
  guard.drop_all();
  EXPECT_TRUE(store.find({0, 2, "x"}).empty());
  EXPECT_EQ(store.entries(), 0u) << "a flush frees every entry at the next look";
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(NearCacheStore, BoundedInBytesEntriesAndValueSizeLeastRecentlyUsedFirstOut) {
  NearCacheGuard guard;
  guard.subscribed(kSnapshot);
  NearCacheLimits limits;
  limits.max_entries = 3;
  limits.max_value_bytes = 10;
  limits.max_bytes = 10 * (NearCacheStore::kEntryOverhead + 20);
  NearCacheStore store(guard, limits);
  std::vector<std::string> requests;
  for (int i = 0; i < 5; ++i) requests.push_back("GET k" + std::to_string(i));
  const auto fill = [&](int i, std::string_view reply) {
    CacheTicket t;
    guard.open_fill(NearCacheGuard::bucket_of(requests[i]), kSnapshot, t);
    return store.store({0, 2, requests[i]}, reply, t);
  };
  EXPECT_FALSE(fill(0, "01234567890")) << "over max_value_bytes";
  EXPECT_TRUE(fill(0, "a"));
  EXPECT_TRUE(fill(1, "b"));
  EXPECT_TRUE(fill(2, "c"));
  EXPECT_EQ(store.find({0, 2, requests[0]}), "a");  // 0 is now the most recently used
  EXPECT_TRUE(fill(3, "d"));
  EXPECT_EQ(store.entries(), 3u);
  EXPECT_TRUE(store.find({0, 2, requests[1]}).empty()) << "the least recently used went";
  EXPECT_EQ(store.find({0, 2, requests[0]}), "a");
  limits.max_bytes = 2 * (NearCacheStore::kEntryOverhead + 10);
  NearCacheStore small(guard, limits);
  for (int i = 0; i < 4; ++i) {
    CacheTicket t;
    guard.open_fill(NearCacheGuard::bucket_of(requests[i]), kSnapshot, t);
    small.store({0, 2, requests[i]}, "v", t);
  }
  EXPECT_LE(small.bytes(), limits.max_bytes);
  EXPECT_EQ(small.entries(), 2u);
}

}  // namespace
}  // namespace funnel::routing
