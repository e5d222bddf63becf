// Micro-benchmarks for the resp/ hot path: parsing a client's pipelined requests and framing a
// backend's pipelined replies. Reports bytes/s (and items/s) per batch.
#include <benchmark/benchmark.h>

#include <string>

#include "resp/reply_framer.hpp"
#include "resp/request_parser.hpp"

namespace {

using funnel::resp::FrameStatus;
using funnel::resp::ParseStatus;
using funnel::resp::ReplyFramer;
using funnel::resp::RequestParser;

constexpr int kBatch = 1000;

// Appends "$<len>\r\n<s>\r\n". (Built with append: GCC 12 -O3 warns falsely, PR105329, on
// chains of operator+ with string literals.)
void append_bulk(std::string& out, std::string_view s) {
  out.append("$").append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
}

// Half SET key:<i> <value>, half GET key:<i>, as redis-benchmark -P would send them.
std::string request_batch(std::size_t value_size) {
  const std::string value(value_size, 'v');
  std::string out;
  for (int i = 0; i < kBatch; ++i) {
    const std::string key = "key:" + std::to_string(i);
    out.append(i % 2 == 0 ? "*3\r\n$3\r\nSET\r\n" : "*2\r\n$3\r\nGET\r\n");
    append_bulk(out, key);
    if (i % 2 == 0) append_bulk(out, value);
  }
  return out;
}

// The replies to that batch: +OK for SET, a bulk for GET; plus a nested reply every 10th.
std::string reply_batch(std::size_t value_size) {
  const std::string value(value_size, 'v');
  std::string out;
  for (int i = 0; i < kBatch; ++i) {
    if (i % 10 == 9) {
      out.append("*3\r\n:1\r\n$3\r\nabc\r\n%1\r\n+k\r\n,1.5\r\n");
    } else if (i % 2 == 0) {
      out.append("+OK\r\n");
    } else {
      append_bulk(out, value);
    }
  }
  return out;
}

void BM_ParsePipelinedRequests(benchmark::State& state) {
  const std::string batch = request_batch(static_cast<std::size_t>(state.range(0)));
  RequestParser parser;
  for (auto _ : state) {
    std::string_view rest = batch;
    while (parser.parse(rest) == ParseStatus::kComplete) {
      benchmark::DoNotOptimize(parser.request().argc());
      rest.remove_prefix(parser.consumed());
    }
    if (!rest.empty()) state.SkipWithError("parse failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_ParsePipelinedRequests)->Arg(16)->Arg(256)->Arg(4096);

void BM_FramePipelinedReplies(benchmark::State& state) {
  const std::string batch = reply_batch(static_cast<std::size_t>(state.range(0)));
  ReplyFramer framer;
  for (auto _ : state) {
    std::string_view rest = batch;
    while (framer.frame(rest) == FrameStatus::kComplete) {
      benchmark::DoNotOptimize(framer.kind());
      rest.remove_prefix(framer.length());
    }
    if (!rest.empty()) state.SkipWithError("frame failed");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * batch.size()));
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_FramePipelinedReplies)->Arg(16)->Arg(256)->Arg(4096);

}  // namespace
