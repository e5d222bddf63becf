// BackendAuth: the queue of checks, the connections that serve it, the refresh.
#include "server/backend_auth.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "backend/handshake.hpp"
#include "security/backend_acl.hpp"

namespace funnel::server {
namespace {

using security::BackendAuthResult;
using security::BackendVerdict;

BackendAuthResult unavailable(const std::string& why) {
  return {BackendVerdict::kUnavailable, nullptr,
          "could not check the password with the backend (" + why + "); retry AUTH"};
}

// Built outside the coroutine: GCC 12 cannot keep an initializer_list's array in a coroutine
// frame ("array used as initializer").
std::string getuser_request(const std::string& user) {
  return backend::encode_command({"ACL", "GETUSER", user});
}
std::string auth_request(const std::string& user, const std::string& password) {
  return backend::encode_command({"AUTH", user, password});
}

// Best effort: the password does not linger in freed memory.
void wipe(std::string& secret) {
  std::fill(secret.begin(), secret.end(), '\0');
  secret.clear();
}

}  // namespace

BackendAuth::BackendAuth(asio::io_context& io, const backend::LinkSettings& settings,
                         std::uint32_t cache_ms, std::function<backend::SnapshotPtr()> snapshot)
    : io_(io),
      settings_(settings),
      snapshot_(std::move(snapshot)),
      cache_(cache_ms),
      refresh_timer_(io.get_executor()) {
  for (std::size_t i = 0; i < kLinks; ++i) {
    links_[i] = std::make_unique<backend::ControlLink>(io, settings, "funnel:auth");
  }
}

BackendAuth::~BackendAuth() = default;

void BackendAuth::check(std::string user, std::string password,
                        std::shared_ptr<const security::UserDirectory> users, Done done) {
  Job job{std::move(user), std::move(password), {}, std::move(users), std::move(done), 0};
  job.key = cache_.credential_key(job.user, job.password);
  asio::post(io_, [this, job = std::move(job)]() mutable { enqueue(std::move(job)); });
}

void BackendAuth::enqueue(Job job) {
  if (job.users != nullptr) last_users_ = job.users;
  if (queue_.size() >= kMaxWaiting) {
    if (job.done) {
      job.done(unavailable("too many AUTH checks are waiting for the backend"));
    }
    wipe(job.password);
    return;
  }
  // Waiting counts against the request timeout: a slow backend makes AUTH fail, never hang.
  job.deadline = common::coarse_now_ms() + settings_.request_timeout_ms.get();
  queue_.push_back(std::move(job));
  for (std::size_t slot = 0; slot < kLinks; ++slot) {
    if (!serving_[slot]) {
      serving_[slot] = true;
      asio::co_spawn(io_, serve(slot), asio::detached);
      break;
    }
  }
}

asio::awaitable<void> BackendAuth::serve(std::size_t slot) {
  while (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    // (No co_await inside a conditional expression: GCC 12 frees its temporary twice.)
    BackendAuthResult result;
    if (common::coarse_now_ms() > job.deadline) {
      result = unavailable("timeout waiting for a connection");
    } else {
      result = co_await run(*links_[slot], job);
    }
    wipe(job.password);
    if (job.done) job.done(std::move(result));
  }
  serving_[slot] = false;
}

// A fresh connection as Funnel's backend user reads the rules, then AUTH as the client's user
// checks the password; that connection now acts as the client's user and is closed.
asio::awaitable<BackendAuthResult> BackendAuth::run(backend::ControlLink& link, Job& job) {
  const backend::SnapshotPtr snapshot = snapshot_();
  std::string error = co_await link.open(*snapshot);
  if (!error.empty()) co_return unavailable(error);
  auto rules = co_await link.call(getuser_request(job.user), error);
  if (!rules) co_return unavailable(error);
  const common::Millis now = common::coarse_now_ms();
  security::BackendRules read =
      security::rules_from_getuser(job.user, *rules, snapshot->commands.get());
  const auto& users = job.users != nullptr ? job.users : last_users_;
  std::shared_ptr<const security::User> user;
  if (read.refusal.empty() && read.rules.enabled && users != nullptr) {
    user = users->make_backend_user(job.user, std::move(read.rules));
  }
  if (job.done == nullptr) {  // a refresh
    link.close();
    cache_.update(job.user, std::move(user), now);
    co_return BackendAuthResult{};
  }
  std::string request = auth_request(job.user, job.password);
  auto auth = co_await link.call(request, error);
  wipe(request);
  link.close();
  if (!auth) co_return unavailable(error);
  if (auth->is_error()) {
    if (!auth->str.starts_with("WRONGPASS")) co_return unavailable(auth->str);
    cache_.store(job.key, job.user, BackendVerdict::kWrongPass, now);
    co_return BackendAuthResult{BackendVerdict::kWrongPass, nullptr, {}};
  }
  if (!read.refusal.empty()) {
    spdlog::warn("backend user '{}' refused: {}", job.user, read.refusal);
    co_return BackendAuthResult{BackendVerdict::kRefused, nullptr, read.refusal};
  }
  user = cache_.update(job.user, std::move(user), now);
  if (user == nullptr) co_return BackendAuthResult{BackendVerdict::kWrongPass, nullptr, {}};
  cache_.store(job.key, job.user, BackendVerdict::kLoggedIn, now);
  co_return BackendAuthResult{BackendVerdict::kLoggedIn, std::move(user), {}};
}

void BackendAuth::start() {
  schedule_refresh();
}

void BackendAuth::schedule_refresh() {
  refresh_timer_.expires_after(
      std::chrono::milliseconds(std::max<std::uint32_t>(cache_.ttl_ms() / 2, 10)));
  refresh_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // stopping
    for (std::string& name : cache_.due_for_refresh(common::coarse_now_ms())) {
      if (queue_.size() >= kMaxWaiting / 2) break;  // clients' checks first
      enqueue(Job{std::move(name), {}, {}, nullptr, nullptr, 0});
    }
    schedule_refresh();
  });
}

}  // namespace funnel::server
