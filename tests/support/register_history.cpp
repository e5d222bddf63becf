// Test fixtures (funnel::test): the register history load, see register_history.hpp.
#include "support/register_history.hpp"

#include <random>
#include <string>
#include <thread>

#include "support/resp_connection.hpp"

namespace funnel::test {

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string random_key(const RegisterLoad& load, std::mt19937& rng) {
  return "lin:" + std::to_string(rng() % 4 == 0 ? rng() % static_cast<unsigned>(load.keys) : 0);
}

// MGET of `op.key` and another key: one read of each, both over the MGET's span.
void mget_read(RespConnection& conn, const RegisterLoad& load, std::mt19937& rng, Operation op,
               std::vector<Operation>& ops) {
  Operation other = op;
  other.key = "lin:" + std::to_string(rng() % static_cast<unsigned>(load.keys));
  const resp::Value reply = conn.command({"MGET", op.key, other.key});
  op.done_ns = other.done_ns = steady_now_ns();
  if (reply.is_error() || reply.elems.size() != 2) return;
  if (!reply.elems[0].is_null()) op.value = reply.elems[0].str;
  if (!reply.elems[1].is_null()) other.value = reply.elems[1].str;
  ops.push_back(std::move(op));
  ops.push_back(std::move(other));
}

// One client's operations until the deadline or max_ops.
void run_client(const RegisterLoad& load, int c, std::chrono::steady_clock::time_point deadline,
                std::vector<Operation>& ops) {
  const bool direct = c >= load.clients;
  RespConnection conn(direct ? load.redis_port : load.funnel_port);
  std::mt19937 rng(static_cast<unsigned>(c) * 7919u + load.seed);
  for (int n = 0; n < load.max_ops && std::chrono::steady_clock::now() < deadline; ++n) {
    Operation op;
    op.client = c;
    op.key = random_key(load, rng);
    const bool write = direct || rng() % 8 == 0;
    op.kind = write ? Operation::Kind::kWrite : Operation::Kind::kRead;
    if (write) op.value = std::to_string(c) + "-" + std::to_string(n);
    op.begun_ns = steady_now_ns();
    if (!write && load.mget_reads) {
      mget_read(conn, load, rng, std::move(op), ops);
      continue;
    }
    const resp::Value reply =
        write ? conn.command({"SET", op.key, *op.value}) : conn.command({"GET", op.key});
    op.done_ns = steady_now_ns();
    if (reply.is_error()) continue;  // no outcome to record
    if (!write && !reply.is_null()) op.value = reply.str;
    ops.push_back(std::move(op));
  }
}

}  // namespace

std::vector<Operation> run_register_history(const RegisterLoad& load) {
  const int all = load.clients + load.direct_writers;
  std::vector<std::vector<Operation>> per_client(static_cast<std::size_t>(all));
  std::vector<std::thread> threads;
  const auto deadline = std::chrono::steady_clock::now() + load.duration;
  for (int c = 0; c < all; ++c) {
    threads.emplace_back(
        [&, c] { run_client(load, c, deadline, per_client[static_cast<std::size_t>(c)]); });
  }
  for (std::thread& t : threads) t.join();
  std::vector<Operation> history;
  for (auto& ops : per_client) history.insert(history.end(), ops.begin(), ops.end());
  return history;
}

bool history_shows_a_violation(const RegisterLoad& load, int attempts) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (!check_registers(run_register_history(load)).empty()) return true;
  }
  return false;
}

}  // namespace funnel::test
