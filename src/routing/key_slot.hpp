// Redis Cluster's key-to-slot rule (no I/O): CRC16 (XMODEM: polynomial 0x1021, initial value 0,
// as Redis's crc16.c) of the key's hash tag, modulo 16384. The hash tag is the part between the
// first '{' and the first '}' after it, when that part is not empty; otherwise the whole key.
// Keys that share a tag ("{user1}.a", "{user1}.b") share a slot, which is how a client keeps a
// multi-key command on one shard. Cluster routing (issue #16) starts here.
#pragma once

#include <cstdint>
#include <string_view>

namespace funnel::routing {

inline constexpr std::uint16_t kSlotCount = 16384;

std::uint16_t crc16(std::string_view bytes);
// The part of `key` that is hashed (a view into it).
std::string_view hash_tag(std::string_view key);
std::uint16_t key_slot(std::string_view key);

}  // namespace funnel::routing
