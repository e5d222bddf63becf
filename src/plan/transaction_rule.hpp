// The rule for each command sent inside a MULTI that Funnel holds (client/transaction.hpp keeps
// the queued bytes), with Redis 7.0's replies. No I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "command/classify.hpp"

namespace funnel::plan {

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
// '-' and CRLF) for kNested, kWatchInside, kReject and kRefuse: a view of static text or of
// cls.error, or of `scratch` when the text is built.
TxAction decide_in_transaction(const command::Classification& cls, std::string_view& error,
                               std::string& scratch);

// Redis 7.0's texts.
inline constexpr std::string_view kExecAbortError =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kNestedMulti = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kWatchInsideMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kNotAllowedInMulti =
    "ERR Command not allowed inside a transaction";

}  // namespace funnel::plan
