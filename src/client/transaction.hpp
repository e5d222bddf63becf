// A MULTI … EXEC without WATCH, held by Funnel (no I/O): Funnel answers MULTI and each queued
// command itself, keeps the queued request bytes, and at EXEC writes MULTI + commands + EXEC as
// one uninterrupted block on the client's shared link, so no other client's command can run
// between them and nothing runs at all if the client leaves before EXEC. What each command inside
// MULTI gets is plan::decide_in_transaction (plan/transaction_rule.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "plan/transaction_rule.hpp"

namespace funnel::client {

using plan::kExecAbortError;

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
  // Cluster mode: the slot of the first queued command with a key (0xFFFF: none yet); the
  // block goes to that slot's shard at EXEC (issue #16).
  std::uint16_t slot = 0xFFFF;
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

}  // namespace funnel::client
