// FUNNEL SLOWLOG GET [count] | LEN | RESET, answered as redis-server 7.0 answers SLOWLOG (same
// reply shape and error texts), from the process's SlowLog; and the worker-side logging of a
// slow request (ClientSession::deliver calls log_if_slow only past the threshold).
#include <charconv>
#include <chrono>

#include "client/client_session.hpp"
#include "common/ascii.hpp"
#include "resp/writer.hpp"

namespace funnel::client {
namespace {

constexpr std::size_t kDefaultGetCount = 10;  // Redis: SLOWLOG GET without a count

using common::iequals;

// Redis's SLOWLOG GET count: -1 (or any count) means all; below -1 or not a number is refused.
bool parse_count(std::string_view text, std::size_t& count) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value < -1) {
    return false;
  }
  count = value == -1 ? SIZE_MAX : static_cast<std::size_t>(value);
  return true;
}

void write_entries(resp::ReplyWriter& w, const std::vector<SlowEntry>& entries) {
  w.array_header(entries.size());
  for (const SlowEntry& e : entries) {
    w.array_header(6);
    w.integer(static_cast<std::int64_t>(e.id));
    w.integer(e.unix_seconds);
    w.integer(e.micros);
    w.array_header(e.args.size());
    for (const std::string& arg : e.args) w.bulk(arg);
    w.bulk(e.client_address);
    w.bulk(e.client_name);
  }
}

}  // namespace

void ClientSession::cmd_funnel_slowlog(LocalCall& call) {
  const resp::Request& r = call.request;
  resp::ReplyWriter w(call.out, state_.protocol);
  SlowLog* log = ctx_.facts.slowlog;
  const std::string_view sub = r.argc() > 2 ? r.arg(2) : std::string_view();
  if (log != nullptr && r.argc() == 3 && iequals(sub, "LEN")) {
    return w.integer(static_cast<std::int64_t>(log->size()));
  }
  if (log != nullptr && r.argc() == 3 && iequals(sub, "RESET")) {
    log->reset();
    call.out = "+OK\r\n";
    return;
  }
  if (log != nullptr && (r.argc() == 3 || r.argc() == 4) && iequals(sub, "GET")) {
    std::size_t count = kDefaultGetCount;
    if (r.argc() == 4 && !parse_count(r.arg(3), count)) {
      call.out = "-ERR count should be greater than or equal to -1\r\n";
      return;
    }
    return write_entries(w, log->newest(count));
  }
  if (r.argc() == 2) {
    call.out = "-ERR wrong number of arguments for 'funnel|slowlog' command\r\n";
    return;
  }
  call.out = "-ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
             "'. Try FUNNEL HELP.\r\n";
}

// Off the common path: only a request at or past the threshold gets here.
void ClientSession::log_if_slow(std::int64_t total_ns, std::string_view request) {
  if (ctx_.facts.slowlog == nullptr) return;
  SlowEntry entry;
  entry.unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  entry.micros = total_ns / 1000;
  entry.args = slowlog_arguments_of(request);
  entry.client_address = peer_address();
  entry.client_name = std::string(name());
  ctx_.facts.slowlog->add(ctx_.worker_index, std::move(entry));
}

}  // namespace funnel::client
