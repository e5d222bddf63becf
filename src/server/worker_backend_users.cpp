// Worker::rebind_backend_users: ACL SETUSER and ACL DELUSER on the backend reach the clients
// logged in as that user within the cache time (security::BackendUserCache's generation).
#include "server/worker.hpp"

#include "client/client_session.hpp"

namespace funnel::server {

void Worker::rebind_backend_users() {
  security::BackendUserCache& cache = context_->backend_users->cache();
  const std::uint64_t generation = cache.generation();
  if (generation == context_->backend_users_generation) return;
  context_->backend_users_generation = generation;
  std::vector<client::ClientSession*> removed;
  context_->registry.for_each([&](client::ClientSession& session) {
    if (!session.rebind_backend_user(cache)) removed.push_back(&session);
  });
  for (client::ClientSession* session : removed) session->close(metrics::CloseReason::kUserRemoved);
}

}  // namespace funnel::server
