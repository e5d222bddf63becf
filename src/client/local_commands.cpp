// Commands Funnel answers itself, byte for byte as redis-server 7 would: they concern the client's
// own connection (protocol, name, authentication), which on a shared backend link would be
// every client's.
#include <cctype>
#include <charconv>

#include <spdlog/spdlog.h>

#include "client/client_session.hpp"
#include "common/ascii.hpp"
#include "resp/writer.hpp"
#include "routing/pause_gate.hpp"

namespace funnel::client {
namespace {

using common::iequals;

bool parse_int(std::string_view text, long long& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

void error(std::string& out, std::string_view message) {
  out += '-';
  out.append(message);
  out += "\r\n";
}

// Redis's rule for client names: printable ASCII without spaces.
bool valid_client_name(std::string_view name) {
  for (unsigned char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

}  // namespace

void ClientSession::set_name(std::string_view name) {
  if (name.empty()) {
    if (rare_->name) rare().name.reset();  // Redis: an empty name removes it
  } else {
    rare().name = std::make_unique<std::string>(name);
  }
}

void ClientSession::cmd_ping(LocalCall& call) {
  const resp::Request& r = call.request;
  std::string& out = call.out;
  if (r.argc() > 2) return error(out, "ERR wrong number of arguments for 'ping' command");
  if (state_.resp2_subscribed()) {
    return write_subscribed_ping(out, r.argc() == 2 ? r.arg(1) : std::string_view());
  }
  if (r.argc() == 1) {
    out = "+PONG\r\n";
    return;
  }
  resp::ReplyWriter(out, state_.protocol).bulk(r.arg(1));
}

void ClientSession::cmd_echo(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol).bulk(call.request.arg(1));
}

void ClientSession::cmd_acl_whoami(LocalCall& call) {
  resp::ReplyWriter(call.out, state_.protocol)
      .bulk(state_.user != nullptr ? state_.user->name() : "default");
}

void ClientSession::cmd_unreachable(LocalCall& call) {
  call.out = "-ERR funnel: internal error: no local handler\r\n";
}

void ClientSession::cmd_hello(LocalCall& call) {
  const resp::Request& r = call.request;
  std::string& out = call.out;
  resp::Protocol requested = state_.protocol;
  if (r.argc() >= 2) {
    long long version = 0;
    if (!parse_int(r.arg(1), version)) {
      return error(out, "ERR Protocol version is not an integer or out of range");
    }
    if (version < 2 || version > 3) return error(out, "NOPROTO unsupported protocol version");
    requested = version == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
  }
  std::string_view user, password, name;
  bool has_auth = false, has_name = false;
  for (std::size_t i = 2; i < r.argc(); ++i) {
    const std::size_t more = r.argc() - i - 1;
    if (iequals(r.arg(i), "AUTH") && more >= 2) {
      has_auth = true;
      user = r.arg(i + 1);
      password = r.arg(i + 2);
      i += 2;
    } else if (iequals(r.arg(i), "SETNAME") && more >= 1) {
      has_name = true;
      name = r.arg(i + 1);
      if (!valid_client_name(name)) {
        return error(out,
                     "ERR Client names cannot contain spaces, newlines or special characters.");
      }
      i += 1;
    } else {
      return error(out, "ERR Syntax error in HELLO option '" + std::string(r.arg(i)) + "'");
    }
  }
  if (has_auth) {
    const Login login = log_in(user, password, call.seq);
    if (login == Login::kFailed) {
      return error(out, "WRONGPASS invalid username-password pair or user is disabled.");
    }
    if (login == Login::kFull) return error(out, full_user_error(user));
    if (login == Login::kPending) {  // finish_hello runs once the backend has answered
      if (rare_->backend_login == nullptr) rare().backend_login = std::make_unique<BackendLogin>();
      rare().backend_login->hello = std::make_unique<PendingHello>(
          PendingHello{requested, has_name, has_name ? std::string(name) : std::string()});
      call.answered = true;
      return;
    }
  }
  if (state_.user == nullptr) {
    return error(out,
                 "NOAUTH HELLO must be called with the client already authenticated, otherwise "
                 "the HELLO AUTH <user> <pass> option can be used to authenticate the "
                 "client and select the RESP protocol version at the same time");
  }
  if (has_name) set_name(name);
  state_.protocol = requested;
  write_hello_reply(out);
}

void ClientSession::write_hello_reply(std::string& out) {
  const std::string& version = ctx_.snapshot->redis_version;
  ctx_.hello_reply.write(out, state_.protocol, version.empty() ? "7.0.0" : version, id_);
}

void ClientSession::cmd_select(LocalCall& call) {
  if (select_database(call.request, call.out)) call.out = "+OK\r\n";
}

// SELECT n: checks n as Redis does and admits its database pool (process-wide, bounded); the
// client's next forwarded request goes to that pool, after the lane barrier. Returns false with
// the error in `out`.
bool ClientSession::select_database(const resp::Request& r, std::string& out) {
  long long db = 0;
  if (!parse_int(r.arg(1), db)) {
    error(out, "ERR value is not an integer or out of range");
    return false;
  }
  if (db < 0 || db >= static_cast<long long>(ctx_.config.backend.databases)) {
    error(out, "ERR DB index is out of range");
    return false;
  }
  const auto n = static_cast<std::uint32_t>(db);
  if (n != 0 && ctx_.config.backend.serverless_on) {
    error(out, "ERR funnel: SELECT " + std::to_string(n) +
                   " refused: ElastiCache Serverless has database 0 only (backend.serverless); "
                   "the command was not run");
    return false;
  }
  if (!ctx_.facts.databases->admit(n)) {
    error(out, "ERR funnel: SELECT " + std::to_string(n) +
                   " refused: Funnel already serves backend.max_database_pools = " +
                   std::to_string(ctx_.config.backend.max_database_pools) +
                   " databases other than 0 (each needs its own backend links); raise "
                   "backend.max_database_pools or use a database already in use");
    return false;
  }
  state_.db = n;
  return true;
}

void ClientSession::cmd_funnel(LocalCall& call) {
  const resp::Request& r = call.request;
  std::string& out = call.out;
  std::string sub = r.argc() > 1 ? std::string(r.arg(1)) : std::string("HELP");
  for (char& c : sub) c = common::ascii_upper(c);
  if (sub == "SLOWLOG") return cmd_funnel_slowlog(call);
  if (sub == "HOTKEYS") return cmd_funnel_hotkeys(call);
  if (sub == "PAUSE" || sub == "RESUME") return funnel_pause(call, sub == "PAUSE");
  if (sub == "RELOAD" && r.argc() == 2 && ctx_.admin != nullptr) return funnel_reload(call);
  if (sub == "HELP" || r.argc() > 2) {
    if (r.argc() > 2) return error(out, "ERR wrong number of arguments for 'funnel' command");
    resp::ReplyWriter w(out, state_.protocol);
    w.array_header(9);
    w.simple_string(
        "FUNNEL <subcommand>: Funnel's own figures (also at the admin /stats endpoint).");
    w.simple_string("STATS   -- clients, commands, errors, bytes and backend counters.");
    w.simple_string("POOLS   -- backend links: per backend, state, shared links ready.");
    w.simple_string("CLIENTS -- client connections per worker.");
    w.simple_string(
        "PAUSE [timeout-ms] -- hold every request in Funnel (default 30000 ms, at most 1 h).");
    w.simple_string("RESUME  -- send the held requests, in each client's order.");
    w.simple_string("RELOAD  -- re-read the configuration file (as SIGHUP does).");
    w.simple_string("SLOWLOG GET [count] | LEN | RESET -- slow requests, as Redis's SLOWLOG.");
    w.simple_string("HOTKEYS [count] -- the most requested keys (sampled), with estimated counts.");
    return;
  }
  const std::string report = ctx_.admin != nullptr ? ctx_.admin->funnel_report(sub) : "";
  if (report.empty()) {
    return error(out, "ERR unknown subcommand '" + std::string(r.arg(1)) + "'. Try FUNNEL HELP.");
  }
  resp::ReplyWriter(out, state_.protocol).verbatim("txt", report);
}

// FUNNEL RELOAD: answered in its place once every worker has applied the reload (the process
// posts the report back to this worker), so the client's next command on any connection sees
// it. The session stays alive until then (pending_ops_).
void ClientSession::funnel_reload(LocalCall& call) {
  call.answered = true;
  ++pending_ops_;
  const std::int64_t started_ns = ctx_.batch_ns;
  const bool silent = silent_;
  const std::uint16_t command_id =
      ctx_.classification.spec != nullptr ? ctx_.classification.spec->id : 0;
  ctx_.admin->reload_config(ctx_.io, [this, seq = call.seq, started_ns, silent,
                                      command_id](AdminView::ReloadReport report) {
    --pending_ops_;
    if (!closed_) {
      std::string out;
      if (!report.ok) {
        out = "-ERR funnel: reload failed, nothing changed: " + report.text + "\r\n";
      } else if (report.late) {
        out = "-ERR funnel: " + report.text + "\r\n";
      } else {
        resp::ReplyWriter(out, state_.protocol).verbatim("txt", report.text);
      }
      record(command_id, metrics::CommandClass::kLocal, out, common::precise_now_ns() - started_ns,
             0);
      answer(seq, silent ? std::string_view() : std::string_view(out));
    }
    maybe_destroy();
  });
}

// FUNNEL PAUSE [timeout-ms] | RESUME (session_pause.cpp holds and frees the requests). The gate
// is process-wide: this worker's held clients go on at once, the other workers' on their tick.
void ClientSession::funnel_pause(LocalCall& call, bool pause) {
  const resp::Request& r = call.request;
  if (r.argc() > (pause ? 3u : 2u)) {
    return error(call.out, "ERR wrong number of arguments for 'funnel|" +
                               std::string(pause ? "pause" : "resume") + "' command");
  }
  routing::PauseGate& gate = *ctx_.pause_gate;
  const common::Millis now = common::coarse_now_ms();
  if (pause) {
    common::Millis timeout = routing::kHoldAllDefaultMs;
    if (r.argc() == 3) {
      const auto parsed = routing::parse_hold_all_timeout(r.arg(2));
      if (!parsed) return error(call.out, "ERR timeout is not an integer or out of range");
      timeout = *parsed;
    }
    gate.hold_all(timeout, now);
    ctx_.writes_paused = ctx_.holding_all = true;  // this batch's next requests too
    spdlog::warn("FUNNEL PAUSE for {} ms: requests are held until FUNNEL RESUME", timeout);
  } else {
    if (gate.resume_all(now)) spdlog::warn("FUNNEL RESUME: sending the held requests");
    ctx_.writes_paused = gate.holds_writes();
    ctx_.holding_all = false;
    if (!ctx_.writes_paused && !ctx_.pause_waiters.empty()) resume_pause_waiters(ctx_);
  }
  call.out = "+OK\r\n";
}

void ClientSession::cmd_reset(LocalCall& call) {
  end_transaction();
  end_pin();  // RESET ends WATCH (the link is returned clean)
  state_.db = 0;
  leave_all_subscriptions();
  state_.protocol = resp::Protocol::kResp2;
  silent_ = plan::reset_reply_silenced(state_.reply_mode, silent_);  // ends CLIENT REPLY OFF
  state_.reply_mode = plan::ReplyMode::kOn;
  if (rare_->name) rare().name.reset();
  lib_name_ = lib_ver_ = 0;
  switch_user(nullptr);
  if (rare_->backend_login != nullptr)
    rare().backend_login.reset();  // after switch_user: a backend user left its count first
  (void)switch_user(ctx_.users->initial_user());  // a full default user: not logged in (NOAUTH)
  call.out = "+RESET\r\n";
}

}  // namespace funnel::client
