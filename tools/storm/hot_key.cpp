// The hot-key workload's pure parts (see hot_key.hpp).
#include "storm/hot_key.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace funnel::storm {

ZipfDistribution::ZipfDistribution(int n, double s) {
  cdf_.resize(static_cast<std::size_t>(std::max(n, 1)));
  double total = 0;
  for (std::size_t k = 0; k < cdf_.size(); ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), s);
    cdf_[k] = total;
  }
  for (double& c : cdf_) c /= total;
  cdf_.back() = 1.0;
}

int ZipfDistribution::rank(double u) const {
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  const auto k = it == cdf_.end() ? cdf_.size() - 1 : static_cast<std::size_t>(it - cdf_.begin());
  return static_cast<int>(k);
}

double ZipfDistribution::probability(int rank) const {
  const auto k = static_cast<std::size_t>(rank);
  if (k >= cdf_.size()) return 0;
  return k == 0 ? cdf_[0] : cdf_[k] - cdf_[k - 1];
}

std::string hot_key_name(const HotKeyMix& hot, int rank) {
  return fmt::format("{}{}", hot.prefix, rank);
}

std::string hot_value(std::uint64_t version, int size) {
  std::string value = fmt::format("{}:", version);
  if (static_cast<int>(value.size()) < size) value.resize(static_cast<std::size_t>(size), 'v');
  return value;
}

std::optional<std::uint64_t> parse_hot_version(std::string_view reply) {
  if (reply.size() < 4 || reply[0] != '$') return std::nullopt;
  const std::size_t crlf = reply.find("\r\n");
  if (crlf == std::string_view::npos) return std::nullopt;
  const std::string_view payload = reply.substr(crlf + 2);
  std::uint64_t version = 0;
  const auto [ptr, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), version);
  if (ec != std::errc() || ptr == payload.data() || ptr == payload.data() + payload.size() ||
      *ptr != ':') {
    return std::nullopt;
  }
  return version;
}

}  // namespace funnel::storm
