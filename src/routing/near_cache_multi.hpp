// The near cache's exactness helpers (issue #18 items 2-3, docs/spike-shield.md), without I/O:
// the TTL probe that keeps keys with a TTL out of the cache, and MGET of several keys answered
// from (and filling) one entry per key.
//
// TTL: an entry is dropped only when Redis says its key changed, and Redis says so for an
// expired key only when it deletes it (lazily, or its active expiry up to ~100 ms later), so a
// cached key with a TTL could be served after a single Redis would answer nil. A fill therefore
// carries a PTTL of its key on the same link; its reply is stored only if PTTL said -1 (no TTL)
// or -2 (no key). Anything that gives the key a TTL later is a write, whose invalidation drops
// the entry (and whatever ran between the PTTL and the read is a write too: the fill's ticket,
// taken before both were sent, refuses or drops it once that invalidation is in).
//
// MGET k1 k2 ...: each key's element is its own entry (NearCacheStore with the element marker
// on the protocol byte, the key as the request), so GET-like entries of other commands never
// answer it (MGET answers nil for a key of another type, GET an error).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace funnel::routing {

// PTTL's reply for a fill's key: true if the fill may be stored (-1: no TTL; -2: no key).
bool probe_allows_caching(std::string_view pttl_reply);

// PTTL <key>, encoded into `out` (replaced).
void encode_probe(std::string_view key, std::string& out);

// The protocol byte of an MGET element's entry (CacheKey::protocol | this).
constexpr std::uint8_t kElementEntry = 0x80;

// Splits a whole MGET reply into its `n` elements (views into `reply`): true if it is an array of
// exactly `n` bulk strings or nulls (RESP2 `$-1`, RESP3 `_`), false for anything else.
bool split_elements(std::string_view reply, std::size_t n, std::vector<std::string_view>& out);

// `*n\r\n`, appended: the header of an MGET reply composed from its elements.
void append_array_header(std::string& out, std::size_t n);

// An MGET that misses fills at most this many of its missing keys (each costs one PTTL on the
// link): a long MGET with one often-written key must not cost a PTTL per key every time.
constexpr std::size_t kMaxElementFills = 32;

}  // namespace funnel::routing
