// ReplyMerge (see reply_merge.hpp).
#include "routing/reply_merge.hpp"

#include <charconv>

#include "resp/reply_framer.hpp"
#include "routing/keyless_merge.hpp"

namespace funnel::routing {
namespace {

constexpr std::string_view kUnexpected = kUnexpectedPart;

bool is_error(std::string_view reply) {
  return !reply.empty() && (reply[0] == '-' || reply[0] == '!');
}

// ":<n>\r\n" -> n.
bool parse_integer(std::string_view reply, std::int64_t& n) {
  if (reply.size() < 4 || reply[0] != ':' || !reply.ends_with("\r\n")) return false;
  const char* end = reply.data() + reply.size() - 2;
  auto [ptr, ec] = std::from_chars(reply.data() + 1, end, n);
  return ec == std::errc() && ptr == end;
}

// "*<n>\r\n" header of an array reply: its element count and where the elements start.
bool array_header(std::string_view reply, std::size_t& count, std::size_t& body) {
  const std::size_t eol = reply.find("\r\n");
  if (reply.empty() || reply[0] != '*' || eol == std::string_view::npos) return false;
  auto [ptr, ec] = std::from_chars(reply.data() + 1, reply.data() + eol, count);
  body = eol + 2;
  return ec == std::errc() && ptr == reply.data() + eol;
}

}  // namespace

ReplyMerge::ReplyMerge(MergeKind kind, std::vector<std::uint16_t> key_part,
                       const std::vector<std::uint32_t>& keys_per_part)
    : kind_(kind),
      keys_per_part_(keys_per_part),
      arrived_(keys_per_part.size(), false),
      missing_(keys_per_part.size()) {
  if (kind_ != MergeKind::kSum && kind_ != MergeKind::kAllOk) {
    key_part_ = std::move(key_part);
    replies_.resize(keys_per_part.size());
    held_ = key_part_.capacity() * sizeof(std::uint16_t);
  }
}

bool ReplyMerge::add(std::size_t index, std::string_view reply) {
  if (index >= arrived_.size() || arrived_[index]) return complete();
  arrived_[index] = true;
  --missing_;
  if (is_error(reply)) {
    keep_error(index, reply);
  } else if (kind_ == MergeKind::kSum) {
    add_sum(index, reply);
  } else if (kind_ == MergeKind::kAllOk) {
    if (reply != "+OK\r\n") keep_error(index, kUnexpected);
  } else if (error_part_ == SIZE_MAX) {  // once an error wins, values are not kept
    replies_[index].assign(reply);
    held_ += replies_[index].capacity();
  }
  return complete();
}

void ReplyMerge::keep_error(std::size_t index, std::string_view reply) {
  if (index > error_part_) return;
  error_part_ = index;
  error_.assign(reply);
}

void ReplyMerge::add_sum(std::size_t index, std::string_view reply) {
  std::int64_t n = 0;
  if (!parse_integer(reply, n)) return keep_error(index, kUnexpected);
  sum_ += n;
}

void ReplyMerge::finish(std::string& out) {
  if (error_part_ != SIZE_MAX) {
    out.append(error_);
    return;
  }
  switch (kind_) {
    case MergeKind::kSum:
      out.push_back(':');
      out.append(std::to_string(sum_));
      out.append("\r\n");
      return;
    case MergeKind::kAllOk:
      out.append("+OK\r\n");
      return;
    case MergeKind::kKeyOrderArray:
      return finish_array(out);
    case MergeKind::kConcatArrays:
      return finish_concat(out);
    case MergeKind::kAgree:
      return merge_agree(replies_, out);
    case MergeKind::kAndArrays:
      return merge_and_arrays(replies_, out);
    case MergeKind::kRandomPick:
      return merge_random_pick(replies_, pick_, out);
    case MergeKind::kScan:
      if (replies_.empty() || !rewrite_scan_reply(replies_[0], scan_at_, scan_shards_, out)) {
        out.append(kUnexpected);
      }
      return;
  }
}

// Each part's array is walked with its own cursor: the next element of part p is the value of
// the next key (in the client's order) that p carries.
void ReplyMerge::finish_array(std::string& out) {
  std::vector<std::size_t> cursor(replies_.size(), 0);
  for (std::size_t p = 0; p < replies_.size(); ++p) {
    std::size_t count = 0;
    if (!array_header(replies_[p], count, cursor[p]) || count != keys_per_part_[p]) {
      out.append(kUnexpected);
      return;
    }
  }
  const std::size_t start = out.size();
  out.push_back('*');
  out.append(std::to_string(key_part_.size()));
  out.append("\r\n");
  resp::ReplyFramer framer;
  for (const std::uint16_t p : key_part_) {
    const std::string_view rest = std::string_view(replies_[p]).substr(cursor[p]);
    framer.reset();
    if (framer.frame(rest) != resp::FrameStatus::kComplete) {
      out.resize(start);
      out.append(kUnexpected);
      return;
    }
    out.append(rest.substr(0, framer.length()));
    cursor[p] += framer.length();
  }
}

// KEYS: one array holding every part's elements, parts in index order.
void ReplyMerge::finish_concat(std::string& out) {
  std::size_t total = 0;
  std::vector<std::size_t> body(replies_.size(), 0);
  for (std::size_t p = 0; p < replies_.size(); ++p) {
    std::size_t count = 0;
    if (!array_header(replies_[p], count, body[p])) {
      out.append(kUnexpected);
      return;
    }
    total += count;
  }
  out.push_back('*');
  out.append(std::to_string(total));
  out.append("\r\n");
  for (std::size_t p = 0; p < replies_.size(); ++p) {
    out.append(std::string_view(replies_[p]).substr(body[p]));
  }
}

}  // namespace funnel::routing
