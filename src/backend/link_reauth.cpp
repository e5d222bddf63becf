// BackendLink re-authentication (see backend_link.hpp): ElastiCache and MemoryDB end a
// connection authenticated with an IAM token 12 hours after its login unless it logs in again.
// The link appends AUTH with the current token as an entry of its own between two requests (a
// client's MULTI block is one request, so never inside one), marked abandoned: no client waits
// for it and timeouts skip it; on_reauth_reply reads its answer.
#include <spdlog/spdlog.h>

#include "backend/backend_link.hpp"
#include "backend/node_access.hpp"

namespace funnel::backend {

void BackendLink::reauth_tick(common::Millis now) {
  if (hold_writes_) {
    // Refused: once every request already written is answered (a partly written one did not
    // run and is sent again), the link reconnects with the current token.
    if (state_ == State::kReady && (pipeline_.empty() || pipeline_.front().end > sent_)) {
      fail("re-authentication refused");
    }
    return;
  }
  if (auto_reauth_) reauth_if_due(now);
}

void BackendLink::reauth_if_due(common::Millis now) {
  const common::Millis after = settings_.reauth_after_ms.get();
  if (after == 0 || state_ != State::kReady || reauth_pending_ || hold_writes_ || read_paused_ ||
      now - authed_at_ < after) {
    return;
  }
  // A provisioned backend user (self-managed Redis, which accepts ACL SETUSER) has no
  // connection age limit; its password is not the token either.
  if (!provisioned_auth_.empty()) return;
  const auto credentials = credentials_for(settings_, address()).get();
  if (!credentials->password) return;
  const std::string_view user =
      credentials->user.empty() ? std::string_view("default") : credentials->user;
  if (push_sink_ != nullptr && protocol_ != resp::Protocol::kResp3) return;
  InFlight entry;
  entry.begin = out_base_ + out_.size();
  // A subscriber link tells its replies apart by kind: HELLO's map is not a PONG or a push.
  out_ += push_sink_ != nullptr
              ? encode_command({"HELLO", "3", "AUTH", user, *credentials->password})
              : encode_command({"AUTH", user, *credentials->password});
  entry.end = out_base_ + out_.size();
  entry.submitted = now;
  entry.deadline = now + settings_.request_timeout_ms.get();
  entry.abandoned = true;
  entry.reauth = true;
  pipeline_.push(entry);
  reauth_pending_ = true;
  authed_at_ = now;  // the next one is due a full interval from now, whatever the answer
  schedule_flush();
}

// A subscriber link reads replies to its untracked commands (PONG, a refused SUBSCRIBE) while
// our HELLO is outstanding: only a map or WRONGPASS answers it.
bool BackendLink::takes_as_reauth_reply(std::string_view reply, resp::ReplyKind kind) const {
  if (!pipeline_.front().reauth) return true;
  return kind == resp::ReplyKind::kMap ||
         (kind == resp::ReplyKind::kError && resp::error_code_is(reply, "WRONGPASS"));
}

void BackendLink::on_reauth_reply(std::string_view reply, resp::ReplyKind kind) {
  reauth_pending_ = false;
  if (kind != resp::ReplyKind::kError) {
    ++reauths_;
    spdlog::debug("backend {} link {}: logged in again", address(), name_);
    return;
  }
  const std::string_view text = reply.substr(1, reply.find('\r') - 1);
  spdlog::warn(
      "backend {} link {}: re-authentication refused ({}); reconnecting once the requests "
      "already sent are answered",
      address(), name_, text);
  hold_writes_ = true;
}

}  // namespace funnel::backend
