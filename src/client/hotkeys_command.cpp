// FUNNEL HOTKEYS [count]: the sampled hot keys (hotkeys.hpp), as an array of [key, estimated
// requests] pairs, hottest first; and the request path's sampling (one request in
// shield.hotkeys_sample_every reaches sample_hot_key).
#include <charconv>

#include "client/client_session.hpp"
#include "resp/writer.hpp"

namespace funnel::client {
namespace {
constexpr std::size_t kDefaultCount = 10;
}  // namespace

void ClientSession::cmd_funnel_hotkeys(LocalCall& call) {
  const resp::Request& r = call.request;
  if (r.argc() > 3) {
    call.out = "-ERR wrong number of arguments for 'funnel|hotkeys' command\r\n";
    return;
  }
  HotKeys* hot = ctx_.facts.hotkeys;
  if (hot == nullptr || hot->sample_every() == 0) {
    call.out =
        "-ERR funnel: hot keys are off (shield.hotkeys_sample_every = 0); set it to sample one "
        "request in N\r\n";
    return;
  }
  std::size_t count = kDefaultCount;
  if (r.argc() == 3) {
    const std::string_view text = r.arg(2);
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
      call.out = "-ERR value is out of range, must be positive\r\n";
      return;
    }
    count = static_cast<std::size_t>(std::min<long long>(value, HotKeys::kCapacity));
  }
  const std::vector<KeyCount> top = hot->top(count);
  resp::ReplyWriter w(call.out, state_.protocol);
  w.array_header(top.size());
  for (const auto& [key, n] : top) {
    w.array_header(2);
    w.bulk(key);
    w.integer(static_cast<std::int64_t>(n));
  }
}

// One request in shield.hotkeys_sample_every: its first key, if its command has one.
void ClientSession::sample_hot_key(const resp::Request& request) {
  HotKeys* hot = ctx_.facts.hotkeys;
  if (hot == nullptr || hot->sample_every() == 0) {  // turned off by a reload
    ctx_.hot_key_countdown = UINT32_MAX;
    return;
  }
  ctx_.hot_key_countdown = hot->sample_every();
  const command::CommandSpec* spec = ctx_.classification.spec;
  if (spec == nullptr || spec->first_key <= 0) return;
  const auto index = static_cast<std::size_t>(spec->first_key);
  if (index < request.argc()) hot->sample(ctx_.worker_index, request.arg(index));
}

}  // namespace funnel::client
