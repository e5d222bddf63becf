// CLIENT subcommands, answered for this client by Funnel: one handler per row of
// plan::client_sub_rules() (arity, refusals and what runs on a pinned link are decided there).
// None may reach a shared backend link: REPLY OFF/SKIP are honoured by the session itself
// (replies dropped), KILL would hit Funnel's own links, TRACKING and NO-TOUCH would change state
// every client shares.
#include "client/client_session.hpp"
#include "command/ascii.hpp"
#include "resp/writer.hpp"

namespace funnel::client {
namespace {

void error(std::string& out, std::string_view message) {
  out += '-';
  out.append(message);
  out += "\r\n";
}

// Redis's rule for client names and library fields: printable ASCII without spaces.
bool printable(std::string_view text) {
  for (unsigned char c : text) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace

void ClientSession::cmd_client(LocalCall& call) {
  (this->*client_handler(call.sub))(call);
}

void ClientSession::client_id(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol).integer(static_cast<std::int64_t>(id_));
}

void ClientSession::client_getname(LocalCall& call) {
  resp::ReplyWriter w(call.out, state_.protocol);
  if (!name().empty()) {
    w.bulk(name());
  } else {
    w.null();
  }
}

void ClientSession::client_setname(LocalCall& call) {
  if (!printable(call.request.arg(2))) {
    return error(call.out,
                 "ERR Client names cannot contain spaces, newlines or special characters.");
  }
  set_name(call.request.arg(2));
  resp::ReplyWriter(call.out, state_.protocol).ok();
}

void ClientSession::client_setinfo(LocalCall& call) {
  const resp::Request& r = call.request;
  const bool lib_name = command::iequals(r.arg(2), "LIB-NAME");
  if (!lib_name && !command::iequals(r.arg(2), "LIB-VER")) {
    return error(call.out, "ERR Unrecognized option '" + std::string(r.arg(2)) + "'");
  }
  if (!printable(r.arg(3))) {
    return error(call.out, "ERR " + std::string(r.arg(2)) +
                               " cannot contain spaces, newlines or special characters.");
  }
  (lib_name ? lib_name_ : lib_ver_) = ctx_.strings.intern(r.arg(3));
  resp::ReplyWriter(call.out, state_.protocol).ok();
}

void ClientSession::client_info(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol).bulk(info_line());
}

// Only this client: the others are on other threads and are none of its business.
void ClientSession::client_list(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol).bulk(info_line());
}

void ClientSession::client_getredir(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol).integer(-1);
}

void ClientSession::client_trackinginfo(LocalCall& call) {
  resp::ReplyWriter w(call.out, state_.protocol);
  w.map_header(3);
  w.bulk("flags");
  w.set_header(1);
  w.bulk("off");
  w.bulk("redirect");
  w.integer(-1);
  w.bulk("prefixes");
  w.array_header(0);
}

// Honoured here, not on a shared link: Funnel drops this client's replies as Redis would (and,
// as Redis, SKIP while OFF changes nothing).
void ClientSession::client_reply(LocalCall& call) {
  const std::string_view mode = call.request.arg(2);
  if (command::iequals(mode, "ON")) {
    state_.reply_mode = plan::ReplyMode::kOn;
    silent_ = false;
    resp::ReplyWriter(call.out, state_.protocol).ok();
  } else if (command::iequals(mode, "OFF") || command::iequals(mode, "SKIP")) {
    if (command::iequals(mode, "OFF")) {
      state_.reply_mode = plan::ReplyMode::kOff;
    } else if (state_.reply_mode != plan::ReplyMode::kOff) {
      state_.reply_mode = plan::ReplyMode::kSkip;
    }
    silent_ = true;  // neither sends a reply of its own
  } else {
    error(call.out, "ERR syntax error");
  }
}

void ClientSession::client_help(LocalCall& call) {
  resp::ReplyWriter w(call.out, state_.protocol);
  w.array_header(4);
  w.simple_string("CLIENT <subcommand> through Funnel. Answered for this connection:");
  w.simple_string(
      "ID, GETNAME, SETNAME, SETINFO, INFO, LIST (this client only), GETREDIR, "
      "TRACKINGINFO, REPLY ON|OFF|SKIP, NO-EVICT");
  w.simple_string(
      "TRACKING (RESP3 only, without REDIRECT) and then CACHING run on a dedicated backend "
      "connection held until TRACKING OFF");
  w.simple_string(
      "Refused: KILL, PAUSE, UNPAUSE, UNBLOCK, NO-TOUCH (they would act on Funnel's shared "
      "backend connections)");
}

}  // namespace funnel::client
