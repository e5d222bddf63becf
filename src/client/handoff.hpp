// Batches of requests and replies that cross between workers when connections_per_node is lower
// than the worker count: a worker without a link of its own hands requests to the link's owner,
// which hands the replies back (ReplyRouter). One post per batch and direction, never one per
// request (PeerWorkers). Plain data, moved across threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend_pool.hpp"
#include "backend/reply_target.hpp"
#include "common/clock.hpp"
#include "resp/writer.hpp"

namespace funnel::client {

struct HandoffRequest {
  resp::Protocol protocol;
  unsigned link_index;
  std::uint32_t offset;  // into HandoffBatch::bytes
  std::uint32_t length;
  backend::ReplyTarget target;
  common::Millis deadline;
  std::uint32_t db = 0;                        // the database pool
  std::uint32_t node = backend::kPrimaryNode;  // the primary's pools, or a replica's
};

struct HandoffBatch {
  std::string bytes;
  std::vector<HandoffRequest> requests;
  bool empty() const { return requests.empty(); }
};

struct HandoffReply {
  backend::ReplyTarget target;
  std::uint32_t offset;  // into ReplyBatch::bytes
  std::uint32_t length;
  std::int64_t backend_ns;
  // A part of a streamed reply (ReplySink::deliver_part); otherwise a whole reply. Parts cross
  // in order, without backpressure: the client's own output limits bound what it is sent.
  bool is_part = false;
  backend::PartKind part_kind = backend::PartKind::kMore;
};

struct ReplyBatch {
  std::string bytes;
  std::vector<HandoffReply> replies;
  bool empty() const { return replies.empty(); }
};

}  // namespace funnel::client
