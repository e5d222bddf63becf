// ResumeCache: OpenSSL's client-side new-session callback, routed to the cache and node the SSL
// was attached to (ex_data on the SSL, freed with it).
#include "tls/resume_cache.hpp"

#include <openssl/ssl.h>

namespace funnel::tls {

// What an attached SSL carries: the cache (kept alive while the SSL lives) and the node's key.
struct ResumeTag {
  std::shared_ptr<ResumeCache> cache;
  std::string node;
};

struct ResumeHooks {
  static int index() {
    static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_tag);
    return kIndex;
  }
  static void free_tag(void*, void* tag, CRYPTO_EX_DATA*, int, long, void*) {
    delete static_cast<ResumeTag*>(tag);
  }
  // 1: the cache took the reference to `session`; 0: OpenSSL frees it (SSL not attached).
  static int on_new_session(SSL* ssl, SSL_SESSION* session) {
    auto* tag = static_cast<ResumeTag*>(SSL_get_ex_data(ssl, index()));
    if (tag == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
    tag->cache->keep(tag->node, session);
    return 1;
  }
};

ResumeCache::~ResumeCache() {
  clear();
}

void ResumeCache::enable(SSL_CTX* ctx) {
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ResumeHooks::on_new_session);
}

void ResumeCache::attach(SSL* ssl, const std::string& node) {
  auto* tag = new ResumeTag{shared_from_this(), node};
  if (SSL_set_ex_data(ssl, ResumeHooks::index(), tag) != 1) {
    delete tag;
    return;
  }
  std::lock_guard lock(mutex_);
  const auto it = by_node_.find(node);
  // A session from a context built before a reload is refused by OpenSSL only if its protocol
  // does not match; clear() on reload keeps the certificate check from being skipped.
  if (it != by_node_.end()) SSL_set_session(ssl, it->second);  // takes its own reference
}

void ResumeCache::keep(const std::string& node, SSL_SESSION* session) {
  std::lock_guard lock(mutex_);
  SSL_SESSION*& slot = by_node_[node];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
}

void ResumeCache::clear() {
  std::lock_guard lock(mutex_);
  for (auto& [node, session] : by_node_) SSL_SESSION_free(session);
  by_node_.clear();
}

std::size_t ResumeCache::size() const {
  std::lock_guard lock(mutex_);
  return by_node_.size();
}

}  // namespace funnel::tls
