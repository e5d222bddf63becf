// The current OpenSSL context of a TLS side (clients or backends), swapped whole on reload
// (SIGHUP): sessions keep the context they started with, new ones take the new one, and a failed
// reload keeps the old one. Shared by ServerTls and ClientTls.
#pragma once

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace boost::asio::ssl {
class context;
}

namespace funnel::tls {

class ContextHolder {
 public:
  using ContextPtr = std::shared_ptr<boost::asio::ssl::context>;

  explicit ContextHolder(ContextPtr context) : context_(std::move(context)) {}

  ContextPtr get() const {
    std::lock_guard lock(mutex_);
    return context_;
  }

  // A context built and checked elsewhere (a reload that names other files).
  void set(ContextPtr next) {
    std::lock_guard lock(mutex_);
    context_ = std::move(next);
  }

  // Builds a new context with `build` (which throws with the reason on failure) and swaps it in.
  // Returns "" on success, otherwise why; the current context is then kept.
  template <typename Build>
  std::string reload(Build&& build) {
    try {
      ContextPtr next = build();
      std::lock_guard lock(mutex_);
      context_ = std::move(next);
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  }

 private:
  mutable std::mutex mutex_;
  ContextPtr context_;
};

}  // namespace funnel::tls
