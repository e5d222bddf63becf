// BackendUserCache: verdicts by credential key, current rules by name.
#include "security/backend_user_cache.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace funnel::security {

BackendUserCache::BackendUserCache(std::uint32_t ttl_ms) : ttl_ms_(ttl_ms), salt_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt_.data()), static_cast<int>(salt_.size())) !=
      1) {
    salt_ = std::to_string(reinterpret_cast<std::uintptr_t>(this));  // still per process
  }
}

Sha256 BackendUserCache::credential_key(std::string_view user, std::string_view password) const {
  std::string material;
  material.reserve(salt_.size() + user.size() + password.size() + 16);
  material.append(salt_);
  material.append(std::to_string(user.size())).append(":").append(user);
  material.append(password);
  const Sha256 key = sha256(material);
  std::fill(material.begin(), material.end(), '\0');  // the password does not linger here
  return key;
}

void BackendUserCache::forget_expired(std::int64_t now_ms) {
  std::erase_if(verdicts_, [&](const auto& item) { return item.second.expires_ms <= now_ms; });
  if (verdicts_.size() >= kMaxEntries) verdicts_.clear();
}

bool BackendUserCache::find(const Sha256& key, std::int64_t now_ms, BackendAuthResult& out) {
  std::lock_guard lock(mutex_);
  const auto it = verdicts_.find(key);
  if (it == verdicts_.end() || it->second.expires_ms <= now_ms) return false;
  out = BackendAuthResult{it->second.verdict, nullptr, {}};
  if (it->second.verdict != BackendVerdict::kLoggedIn) return true;
  const auto user = current_.find(it->second.name);
  if (user == current_.end() || user->second.user == nullptr) return false;  // ask again
  out.user = user->second.user;
  return true;
}

void BackendUserCache::store(const Sha256& key, const std::string& name, BackendVerdict verdict,
                             std::int64_t now_ms) {
  if (verdict != BackendVerdict::kLoggedIn && verdict != BackendVerdict::kWrongPass) {
    return;  // a refusal or an outage is asked again next time
  }
  std::lock_guard lock(mutex_);
  if (verdicts_.size() >= kMaxEntries) forget_expired(now_ms);
  verdicts_[key] = Verdict{verdict, name, now_ms + ttl_ms_};
}

std::shared_ptr<const User> BackendUserCache::update(const std::string& name,
                                                     std::shared_ptr<const User> user,
                                                     std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  const auto it = current_.find(name);
  if (it != current_.end()) {
    const auto& had = it->second.user;
    it->second.read_ms = now_ms;
    if (had == nullptr ? user == nullptr : user != nullptr && user->rules() == had->rules()) {
      return had;
    }
    it->second.user = std::move(user);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    return it->second.user;
  }
  if (current_.size() >= kMaxEntries) {
    std::erase_if(current_, [](const auto& item) { return item.second.user.use_count() <= 1; });
  }
  Current& added = current_[name];
  added = Current{std::move(user), now_ms};
  return added.user;
}

std::vector<std::string> BackendUserCache::due_for_refresh(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> due;
  for (auto it = current_.begin(); it != current_.end();) {
    if (now_ms - it->second.read_ms < ttl_ms_) {
      ++it;
    } else if (it->second.user.use_count() > 1) {  // sessions hold the User they act as
      due.push_back(it->first);
      ++it;
    } else {
      it = current_.erase(it);  // nobody acts as it: the next AUTH reads it again
    }
  }
  return due;
}

std::shared_ptr<const User> BackendUserCache::current(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = current_.find(name);
  return it == current_.end() ? nullptr : it->second.user;
}

}  // namespace funnel::security
