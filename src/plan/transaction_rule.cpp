// decide_in_transaction (transaction_rule.hpp): local commands by their LocalRule::in_multi,
// forwarded ones by the command table's no-multi flag.
#include "plan/transaction_rule.hpp"

#include "plan/local_rules.hpp"

namespace funnel::plan {
namespace {

using command::Route;

std::string_view top_name(const command::Classification& cls) {
  if (cls.spec == nullptr) return {};
  const std::string_view name = cls.spec->name;
  return name.substr(0, name.find('|'));
}

std::string_view refuse(const command::Classification& cls, std::string& scratch) {
  std::string name(top_name(cls));
  if (name.empty()) name = "FUNNEL";
  for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  scratch = "ERR funnel: ";
  scratch.append(name).append(" inside MULTI is not supported through Funnel (");
  scratch.append(
      "it would change the state of the shared backend connection the transaction runs on");
  scratch.append("); the transaction will be discarded at EXEC");
  return scratch;
}

TxAction decide_local(const command::Classification& cls, std::string_view& error,
                      std::string& scratch) {
  switch (local_rule(cls.local).in_multi) {
    case InMulti::kQueue:
      return TxAction::kQueue;
    case InMulti::kNested:
      error = kNestedMulti;
      return TxAction::kNested;
    case InMulti::kExec:
      return TxAction::kExec;
    case InMulti::kDiscard:
      return TxAction::kDiscard;
    case InMulti::kWatch:
      error = kWatchInsideMulti;
      return TxAction::kWatchInside;
    case InMulti::kRunNow:
      return cls.local == command::LocalCommand::kQuit ? TxAction::kQuit : TxAction::kReset;
    case InMulti::kRefuse:
      break;
  }
  error = refuse(cls, scratch);
  return TxAction::kRefuse;
}

}  // namespace

TxAction decide_in_transaction(const command::Classification& cls, std::string_view& error,
                               std::string& scratch) {
  switch (cls.route) {
    case Route::kReject:
      error = cls.error;
      return TxAction::kReject;
    case Route::kLocal:
      return decide_local(cls, error, scratch);
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
  error = refuse(cls, scratch);
  return TxAction::kRefuse;
}

}  // namespace funnel::plan
