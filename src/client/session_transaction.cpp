// ClientSession's transactions: a MULTI … EXEC without WATCH is held by Funnel and written as one
// uninterrupted block on the client's shared link at EXEC (see transaction.hpp).
#include "client/client_session.hpp"
#include "client/transaction.hpp"

namespace funnel::client {
namespace {
constexpr std::string_view kQueued = "+QUEUED\r\n";
constexpr std::string_view kOk = "+OK\r\n";
// What track_buffer counts for a string (short strings live inside the object).
std::size_t accounted(std::size_t capacity) {
  return capacity <= 15 ? 0 : capacity;
}
}  // namespace

// MULTI outside a transaction: Funnel holds the commands until EXEC.
void ClientSession::begin_transaction(std::uint64_t seq) {
  open_transaction();
  answer_local(seq, kOk);
}

void ClientSession::open_transaction() {
  rare().tx = std::make_unique<TransactionQueue>();
  state_.mode = plan::Mode::kQueuing;
  state_.tx_writes = false;
  state_.tx_has_slot = false;
  state_.tx_cross_slot = false;
  track_buffer(0, rare_->tx->bytes());
}

void ClientSession::cmd_unwatch(LocalCall& call) {
  state_.watch_lost = false;
  call.out = kOk;
}

void ClientSession::queue_in_transaction(const resp::Request& request, std::uint64_t seq) {
  const std::size_t before = accounted(rare_->tx->capacity());
  if (rare_->tx->add(request.raw(), ctx_.config.limits.max_request_bytes,
                     TransactionQueue::kMaxCommands) == TransactionQueue::AddStatus::kTooLarge) {
    return answer_error(seq,
                        "ERR funnel: transaction too large (over limits.max_request_bytes bytes "
                        "or 65000 commands queued); the transaction will be discarded at EXEC");
  }
  track_buffer(before, rare_->tx->bytes());
  if (rare_->tx->slot == kNoSlot)
    rare_->tx->slot = ctx_.request_slot;  // cluster mode: the block's shard
  if (closed_) return;                    // the process buffer budget ran out
  answer_local(seq, kQueued);
}

void ClientSession::exec_transaction(std::uint64_t seq) {
  if (rare_->tx->aborted()) {
    end_transaction();
    return answer_error(seq, kExecAbortError);
  }
  if (state_.watch_lost) [[unlikely]] {
    // The WATCH died with its pinned link: Redis's answer when a watched key changed, which
    // WATCH users retry on. Nothing was sent.
    end_transaction();
    return answer_local(seq, state_.protocol == resp::Protocol::kResp3 ? "_\r\n" : "*-1\r\n");
  }
  const auto extra =
      static_cast<std::uint16_t>(rare_->tx->commands() + 1);  // MULTI's and each QUEUED
  const std::size_t before = accounted(rare_->tx->capacity());
  const std::string_view block = rare_->tx->finish_block();
  // Appending EXEC may grow the block: counted, so end_transaction() gives back exactly that.
  account_buffer(static_cast<std::int64_t>(accounted(rare_->tx->capacity())) -
                 static_cast<std::int64_t>(before));
  ctx_.request_slot = rare_->tx->slot;  // kNoSlot outside cluster mode
  if (ctx_.near_cache != nullptr) [[unlikely]]
    near_cache_write_all(seq);  // its writes are not listed: the whole cache until EXEC's reply
  // Never retried after READONLY: a transaction is not replayed silently.
  forward(block, seq, extra, backend::ReplyTarget::kRetried,
          common::coarse_now_ms() + ctx_.config.backend.request_timeout_ms);
  ctx_.metrics->transactions.add();
  end_transaction();
}

void ClientSession::end_transaction() {
  state_.watch_lost = false;  // EXEC, DISCARD and RESET unwatch, as in Redis
  if (rare_->tx == nullptr) return;
  account_buffer(-static_cast<std::int64_t>(accounted(rare_->tx->capacity())));
  rare().tx.reset();
  state_.mode = plan::Mode::kNormal;
}

}  // namespace funnel::client
