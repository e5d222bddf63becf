// A MULTI … EXEC without WATCH, held by Funnel (no I/O): Funnel answers MULTI and each queued
// command itself, keeps the queued request bytes, and at EXEC writes MULTI + commands + EXEC as
// one uninterrupted block on the client's shared link, so no other client's command can run
// between them and nothing runs at all if the client leaves before EXEC. decide() is the rule
// for each command sent inside the transaction, with Redis 7.0's replies.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "command/classify.hpp"

namespace funnel::client {

enum class TxAction : std::uint8_t {
  kQueue,        // append to the block, answer +QUEUED
  kExec,         // write the block (or answer EXECABORT)
  kDiscard,      // drop the queue, +OK
  kNested,       // MULTI inside MULTI: Redis's error, the transaction goes on
  kWatchInside,  // WATCH inside MULTI: Redis's error, the transaction goes on
  kReject,       // Redis rejects it at queue time: error, EXEC answers EXECABORT
  kRefuse,       // Funnel cannot run it inside a block: clear error, EXEC answers EXECABORT
  kReset,        // RESET runs at once (and ends the transaction), as in Redis
  kQuit,         // QUIT runs at once
};

// What to do with a classified command sent inside MULTI. `error` gets the reply text (without
// '-' and CRLF) for kNested, kWatchInside, kReject and kRefuse.
TxAction decide_in_transaction(const command::Classification& cls, std::string& error);

class TransactionQueue {
 public:
  enum class AddStatus : std::uint8_t { kQueued, kTooLarge };

  TransactionQueue();
  // Queues one request's raw bytes, unless that would pass max_bytes or max_commands (then the
  // transaction is flagged aborted and kTooLarge returned).
  AddStatus add(std::string_view request, std::size_t max_bytes, std::size_t max_commands);
  // A command was rejected at queue time: EXEC will answer EXECABORT.
  void flag_error() { aborted_ = true; }
  bool aborted() const { return aborted_; }
  std::size_t commands() const { return commands_; }
  std::size_t queued_bytes() const { return block_.size() - kMultiBytes.size(); }
  // MULTI + every queued request + EXEC, ready to write as one request whose last reply (EXEC's)
  // is the one the client gets; the backend sends commands() + 2 replies for it.
  std::string_view finish_block();
  std::size_t capacity() const { return block_.capacity(); }
  const std::string& bytes() const { return block_; }

  static constexpr std::string_view kMultiBytes = "*1\r\n$5\r\nMULTI\r\n";
  static constexpr std::string_view kExecBytes = "*1\r\n$4\r\nEXEC\r\n";
  // The most commands one block may hold: the link counts the replies to skip in 16 bits.
  static constexpr std::size_t kMaxCommands = 65'000;

 private:
  std::string block_;
  std::size_t commands_ = 0;
  bool aborted_ = false;
};

// Redis 7.0's texts.
inline constexpr std::string_view kExecAbortError =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kNestedMulti = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kWatchInsideMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kNotAllowedInMulti =
    "ERR Command not allowed inside a transaction";

}  // namespace funnel::client
