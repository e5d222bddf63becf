// CLIENT subcommands, answered for this client by Funnel. None may reach a shared backend link:
// REPLY OFF/SKIP are honoured by the session itself (replies dropped), KILL would hit Funnel's own
// links, TRACKING and NO-TOUCH would change state every client shares.
#include <cctype>
#include <set>

#include "client/client_session.hpp"
#include "command/classify.hpp"
#include "resp/writer.hpp"

namespace funnel::client {
namespace {

std::string upper(std::string_view text) {
  std::string result(text);
  for (char& c : result) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return result;
}

void error(std::string& out, std::string_view message) {
  out += '-';
  out.append(message);
  out += "\r\n";
}

// Subcommands Redis has that Funnel refuses: they act on the connection's backend side.
const std::set<std::string, std::less<>> kRefused = {"KILL",    "PAUSE",    "UNPAUSE",
                                                     "UNBLOCK", "TRACKING", "NO-TOUCH"};

// "REPLY OFF", "NO-TOUCH ON": the subcommand and its first argument, for the refusal text.
std::string upper_words(const resp::Request& r) {
  std::string words = upper(r.arg(1));
  if (r.argc() > 2 && words != "KILL") words += " " + upper(r.arg(2));
  return words;
}

bool on_off(std::string_view arg) {
  const std::string value = upper(arg);
  return value == "ON" || value == "OFF";
}

}  // namespace

void ClientSession::cmd_client(const resp::Request& r, std::string& out) {
  const std::string sub = upper(r.arg(1));
  resp::ReplyWriter w(out, protocol_);
  std::string full_name = "client|";
  for (char c : sub) full_name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto arity = [&](std::size_t n) {
    if (r.argc() == n) return true;
    error(out, command::wrong_arity_error(full_name));
    return false;
  };
  if (sub == "ID") {
    if (arity(2)) w.integer(static_cast<std::int64_t>(id_));
  } else if (sub == "GETNAME") {
    if (!arity(2)) return;
    if (!name().empty()) {
      w.bulk(name());
    } else {
      w.null();
    }
  } else if (sub == "SETNAME") {
    if (!arity(3)) return;
    for (unsigned char c : r.arg(2)) {
      if (c < '!' || c > '~') {
        return error(out,
                     "ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    set_name(r.arg(2));
    w.ok();
  } else if (sub == "SETINFO") {
    if (!arity(4)) return;
    const std::string attr = upper(r.arg(2));
    if (attr != "LIB-NAME" && attr != "LIB-VER") {
      return error(out, "ERR Unrecognized option '" + std::string(r.arg(2)) + "'");
    }
    for (unsigned char c : r.arg(3)) {
      if (c < '!' || c > '~') {
        return error(out, "ERR " + std::string(r.arg(2)) +
                              " cannot contain spaces, newlines or special characters.");
      }
    }
    (attr == "LIB-NAME" ? lib_name_ : lib_ver_) = ctx_.strings.intern(r.arg(3));
    w.ok();
  } else if (sub == "INFO") {
    if (arity(2)) w.bulk(info_line());
  } else if (sub == "LIST") {
    // Only this client: the others are on other threads and are none of its business.
    w.bulk(info_line());
  } else if (sub == "GETREDIR") {
    if (arity(2)) w.integer(-1);
  } else if (sub == "TRACKINGINFO") {
    if (!arity(2)) return;
    w.map_header(3);
    w.bulk("flags");
    w.set_header(1);
    w.bulk("off");
    w.bulk("redirect");
    w.integer(-1);
    w.bulk("prefixes");
    w.array_header(0);
  } else if (sub == "REPLY") {
    // Honoured here, not on a shared link: Funnel drops this client's replies as Redis would.
    if (!arity(3)) return;
    const std::string mode = upper(r.arg(2));
    if (mode == "ON") {
      replies_off_ = false;
      silent_ = false;
      w.ok();
    } else if (mode == "OFF" || mode == "SKIP") {
      (mode == "OFF" ? replies_off_ : skip_next_reply_) = true;
      silent_ = true;  // neither sends a reply of its own
    } else {
      error(out, "ERR syntax error");
    }
  } else if (sub == "NO-EVICT" && r.argc() == 3 && on_off(r.arg(2))) {
    w.ok();  // Funnel's clients are not the backend's: nothing of theirs to evict there
  } else if (sub == "CACHING") {
    error(out,
          "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
          "OPTIN or OPTOUT mode enabled");
  } else if (sub == "HELP") {
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
  } else if (kRefused.contains(sub) || sub == "NO-EVICT") {
    error(out, command::unsupported_error("CLIENT " + upper_words(r),
                                          "it would act on Funnel's shared backend connections"));
  } else {
    error(out, command::unknown_subcommand_error(r.arg(0), r.arg(1)));
  }
}

}  // namespace funnel::client
