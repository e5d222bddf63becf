// Text about clients and Funnel itself: CLIENT INFO lines, Funnel's INFO section, and the session
// registry that maps reply targets back to live sessions.
#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>

#include "client/client_session.hpp"
#include "client/transaction.hpp"

namespace funnel::client {
namespace {

// Clients whose requests Funnel holds for a CLIENT PAUSE are blocked clients in Redis's sense
// (Redis counts its postponed clients there; tools such as Redis's own tests wait on it), but
// Redis never sees them: Funnel adds them to Redis's count.
void add_held_to_blocked_clients(std::string& info, std::int64_t held) {
  if (held <= 0) return;
  constexpr std::string_view kField = "\r\nblocked_clients:";
  const std::size_t at = info.find(kField);
  if (at == std::string::npos) return;
  const std::size_t begin = at + kField.size();
  const std::size_t end = info.find('\r', begin);
  if (end == std::string::npos) return;
  long long count = 0;
  for (std::size_t i = begin; i < end && info[i] >= '0' && info[i] <= '9'; ++i) {
    count = count * 10 + (info[i] - '0');
  }
  info.replace(begin, end - begin, std::to_string(count + held));
}

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// Splits a bulk ("$") or verbatim ("=") reply into header length, payload offset and length.
bool find_payload(std::string_view reply, std::size_t& offset, std::size_t& length) {
  if (reply.size() < 4 || (reply[0] != '$' && reply[0] != '=')) return false;
  const std::size_t header_end = reply.find("\r\n");
  if (header_end == std::string_view::npos) return false;
  offset = header_end + 2;
  if (reply.size() < offset + 2) return false;
  length = reply.size() - offset - 2;
  if (reply[0] == '=') {  // "txt:" prefix of a verbatim string
    if (length < 4) return false;
    offset += 4;
    length -= 4;
  }
  return true;
}

}  // namespace

SessionRegistry::Handle SessionRegistry::add(ClientSession* session) {
  std::uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[index].session = session;
  ++live_;
  return Handle{index, slots_[index].generation};
}

void SessionRegistry::remove(Handle handle) {
  Slot& slot = slots_[handle.index];
  if (slot.generation != handle.generation || slot.session == nullptr) return;
  slot.session = nullptr;
  ++slot.generation;
  free_.push_back(handle.index);
  --live_;
}

ClientSession* SessionRegistry::find(std::uint32_t index, std::uint32_t generation) const {
  if (index >= slots_.size()) return nullptr;
  const Slot& slot = slots_[index];
  return slot.generation == generation ? slot.session : nullptr;
}

std::string ClientSession::peer_address() const {
  const auto peer = endpoint(true);
  return peer ? endpoint_text(*peer) : std::string("?");
}

std::string ClientSession::local_address() const {
  const auto local = endpoint(false);
  return local ? endpoint_text(*local) : std::string("?");
}

// Redis's CLIENT INFO line layout, with Funnel's own view of the connection.
std::string ClientSession::info_line() {
  const common::Millis now = common::coarse_now_ms();
  const auto count = [&](PubsubKind kind) { return rare_->subs ? rare_->subs->count(kind) : 0; };
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs={} rbp=0 obl={} oll=0 omem={} "
      "tot-mem={} events=r cmd=client|info user={} redir=-1 resp={} lib-name={} "
      "lib-ver={}\n",
      id_, peer_address(), local_address(), transport_.fd(), name(), (now - connected_at_) / 1000,
      (now - last_activity_) / 1000, rare_->tx ? "x" : (subscribed() ? "P" : "N"), state_.db,
      count(PubsubKind::kChannel), count(PubsubKind::kPattern), count(PubsubKind::kShard),
      rare_->tx ? static_cast<long long>(rare_->tx->commands()) : -1LL, io_->in.size(),
      io_->in.capacity(), io_->out.size(), io_->out.capacity(),
      sizeof(*this) + io_->in.capacity() + io_->out.capacity(),
      state_.user != nullptr ? std::string_view(state_.user->name()) : std::string_view("default"),
      state_.protocol == resp::Protocol::kResp3 ? 3 : 2, ctx_.strings.text(lib_name_),
      ctx_.strings.text(lib_ver_));
}

std::string ClientSession::transform_info(std::string_view reply) const {
  std::size_t offset = 0, length = 0;
  if (!find_payload(reply, offset, length)) return std::string(reply);  // an error: pass it on
  const auto& counters = *ctx_.facts.counters;
  using metrics::ProcessCounters;
  std::string text(reply.substr(offset, length));
  add_held_to_blocked_clients(text, ctx_.pause_gate->held());
  if (!text.empty()) text += "\r\n";
  text += fmt::format(
      "# Funnel\r\nfunnel_version:{}\r\nfunnel_workers:{}\r\nfunnel_connections_per_node:{}\r\n"
      "funnel_connected_clients:{}\r\nfunnel_max_clients:{}\r\n"
      "funnel_total_connections_received:{}\r\nfunnel_rejected_connections:{}\r\n"
      "funnel_backend:{}\r\nfunnel_backend_links_ready:{}\r\nfunnel_backend_connects:{}\r\n"
      "funnel_client_buffer_bytes:{}\r\n",
      ctx_.facts.version, ctx_.facts.workers, ctx_.config.backend.connections_per_node,
      ProcessCounters::read(counters.clients_connected), ctx_.config.server.max_clients,
      ProcessCounters::read(counters.clients_accepted),
      ProcessCounters::read(counters.clients_rejected_max_clients) +
          ProcessCounters::read(counters.clients_rejected_no_fd),
      ctx_.snapshot->address, ProcessCounters::read(counters.backend_links_ready),
      ProcessCounters::read(counters.backend_connects),
      ProcessCounters::read(counters.client_buffer_bytes));
  std::string result;
  resp::ReplyWriter writer(result,
                           reply[0] == '=' ? resp::Protocol::kResp3 : resp::Protocol::kResp2);
  if (reply[0] == '=') {
    writer.verbatim("txt", text);
  } else {
    writer.bulk(text);
  }
  return result;
}

}  // namespace funnel::client
