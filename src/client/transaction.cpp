// TransactionQueue and the rule for commands inside a Funnel-held MULTI (see transaction.hpp).
#include "client/transaction.hpp"

#include <algorithm>

namespace funnel::client {
namespace {

using command::LocalCommand;
using command::Route;

std::string_view top_name(const command::Classification& cls) {
  if (cls.spec == nullptr) return {};
  const std::string_view name = cls.spec->name;
  return name.substr(0, name.find('|'));
}

void refuse(const command::Classification& cls, std::string_view why, std::string& error) {
  std::string name(top_name(cls));
  if (name.empty()) name = "FUNNEL";
  for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  error = "ERR funnel: ";
  error.append(name).append(" inside MULTI is not supported through Funnel (");
  error.append(why).append("); the transaction will be discarded at EXEC");
}

constexpr std::string_view kWhyConnectionState =
    "it would change the state of the shared backend connection the transaction runs on";

TxAction decide_local(const command::Classification& cls, std::string& error) {
  switch (cls.local) {
    case LocalCommand::kPing:
    case LocalCommand::kEcho:
      return TxAction::kQueue;  // Redis answers them inside EXEC's array, in order
    case LocalCommand::kMulti:
      error = kNestedMulti;
      return TxAction::kNested;
    case LocalCommand::kExec:
      return TxAction::kExec;
    case LocalCommand::kDiscard:
      return TxAction::kDiscard;
    case LocalCommand::kWatch:
      error = kWatchInsideMulti;
      return TxAction::kWatchInside;
    case LocalCommand::kUnwatch:
      return TxAction::kQueue;  // harmless in the block: the shared link watches nothing
    case LocalCommand::kReset:
      return TxAction::kReset;
    case LocalCommand::kQuit:
      return TxAction::kQuit;
    default:
      refuse(cls, kWhyConnectionState, error);
      return TxAction::kRefuse;
  }
}

}  // namespace

TxAction decide_in_transaction(const command::Classification& cls, std::string& error) {
  switch (cls.route) {
    case Route::kReject:
      error = cls.error;
      return TxAction::kReject;
    case Route::kLocal:
      return decide_local(cls, error);
    case Route::kForward:
    case Route::kUnsupported:
      break;
  }
  if (cls.spec != nullptr && cls.spec->has(command::Flag::kNoMulti)) {
    error = kNotAllowedInMulti;
    return TxAction::kReject;
  }
  // Blocking commands do not block inside MULTI (Redis runs them as if they timed out at once).
  if (cls.route == Route::kForward || cls.blocking) return TxAction::kQueue;
  refuse(cls, kWhyConnectionState, error);
  return TxAction::kRefuse;
}

TransactionQueue::TransactionQueue() {
  block_.assign(kMultiBytes);
}

TransactionQueue::AddStatus TransactionQueue::add(std::string_view request, std::size_t max_bytes,
                                                  std::size_t max_commands) {
  if (queued_bytes() + request.size() > max_bytes ||
      commands_ + 1 > std::min(max_commands, kMaxCommands)) {
    aborted_ = true;
    return AddStatus::kTooLarge;
  }
  block_.append(request);
  ++commands_;
  return AddStatus::kQueued;
}

std::string_view TransactionQueue::finish_block() {
  block_.append(kExecBytes);
  return block_;
}

}  // namespace funnel::client
