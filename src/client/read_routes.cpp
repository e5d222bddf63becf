// ReadRoutes: the worker's node list for reads, kept in step with the snapshots.
#include "client/read_routes.hpp"

#include <algorithm>

namespace funnel::client {

void ReadRoutes::update(const backend::BackendSnapshot& snapshot, backend::ReplicaPools& replicas,
                        const backend::BackendPool& primary) {
  std::vector<std::uint32_t> ids{backend::kPrimaryNode};
  for (const auto& replica : snapshot.replicas) ids.push_back(replica.node_id);
  const bool layout_changed = ids != node_ids_;
  if (layout_changed) ++layout_epoch_;

  std::vector<routing::NodeView> views(ids.size());
  views[0].primary = true;
  std::vector<backend::BackendPool*> pools(ids.size(), nullptr);
  bool readability_changed = layout_changed || !down_.empty();
  for (std::size_t i = 1; i < ids.size(); ++i) {
    const auto& replica = snapshot.replicas[i - 1];
    views[i].readable = replica.readable;
    views[i].local_zone = replica.local_zone;
    pools[i] = replicas.find(replica.node_id);
    if (pools[i] == nullptr) views[i].readable = false;  // no links here yet
    if (!layout_changed &&
        (views_[i].readable != views[i].readable || views_[i].local_zone != views[i].local_zone)) {
      readability_changed = true;  // a zone learnt late: clients may move to a local replica
    }
  }
  if (readability_changed) ++health_epoch_;
  node_ids_ = std::move(ids);
  views_ = std::move(views);
  pools_ = std::move(pools);
  primary_ = &primary;
  down_.clear();
  offsets_ = snapshot.offsets;
  active_ = policy_ != routing::ReadPolicy::kPrimary && node_ids_.size() > 1;
}

void ReadRoutes::refresh_load() {
  views_[0].outstanding =
      static_cast<std::uint32_t>(primary_ != nullptr ? primary_->in_flight() : 0);
  for (std::size_t i = 1; i < views_.size(); ++i) {
    views_[i].outstanding =
        static_cast<std::uint32_t>(pools_[i] != nullptr ? pools_[i]->in_flight() : 0);
    views_[i].offset = offsets_ ? offsets_->node_offset(node_ids_[i]) : -1;
  }
}

ReadRoutes::Choice ReadRoutes::choice_for(int index) const {
  Choice choice;
  choice.index = index;
  if (index > 0) {
    choice.node = node_ids_[static_cast<std::size_t>(index)];
    choice.pool = pools_[static_cast<std::size_t>(index)];
  }
  return choice;
}

ReadRoutes::Choice ReadRoutes::choose(routing::ClientReadState& state, std::int64_t needed_offset,
                                      bool cursor_continuation) {
  refresh_load();
  const routing::ReadRequest request{policy_, health_epoch_, needed_offset, cursor_continuation};
  const routing::ReadChoice chosen = routing::choose_read_node(views_, 0, request, state);
  if (chosen.node < 0) {
    Choice refused;
    refused.error = chosen.error;
    return refused;
  }
  return choice_for(chosen.node);
}

ReadRoutes::Choice ReadRoutes::choose_retry(std::uint32_t failed_node) {
  if (policy_ == routing::ReadPolicy::kReplica) {
    routing::ClientReadState fresh;
    refresh_load();
    const routing::ReadRequest request{policy_, health_epoch_, -1, false};
    const routing::ReadChoice chosen = routing::choose_read_node(views_, 0, request, fresh);
    if (chosen.node > 0 && node_ids_[static_cast<std::size_t>(chosen.node)] != failed_node) {
      return choice_for(chosen.node);
    }
    if (chosen.node < 0) {
      Choice refused;
      refused.error = chosen.error;
      return refused;
    }
  }
  return choice_for(0);
}

bool ReadRoutes::mark_down(std::uint32_t node) {
  if (std::find(down_.begin(), down_.end(), node) != down_.end()) return false;
  down_.push_back(node);
  for (std::size_t i = 1; i < node_ids_.size(); ++i) {
    if (node_ids_[i] == node && views_[i].readable) {
      views_[i].readable = false;
      ++health_epoch_;
    }
  }
  return true;
}

}  // namespace funnel::client
