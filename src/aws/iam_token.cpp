// Builds the IAM auth token (see iam_token.hpp) on top of the SigV4 presigner.
#include "aws/iam_token.hpp"

#include <charconv>

#include "aws/sigv4.hpp"

namespace funnel::aws {

std::string make_iam_token(const IamTokenRequest& request, const Credentials& credentials,
                           Clock::time_point at) {
  PresignInput input;
  input.host = request.cache_id;
  input.query = {{"Action", "connect"}, {"User", request.user}};
  if (request.serverless) input.query.emplace_back("ResourceType", "ServerlessCache");
  input.service = request.service;
  input.region = request.region;
  input.expires = kIamTokenLifetime;
  return presign(input, credentials, at);
}

std::string check_iam_request(const IamTokenRequest& request) {
  if (request.user.empty()) return "the IAM user is empty (backend.iam_user, --user)";
  if (request.cache_id.empty()) return "the cache id is empty (backend.iam_cache_id, --cache)";
  if (request.region.empty()) return "the region is empty (backend.iam_region, --region)";
  if (request.service != "elasticache" && request.service != "memorydb") {
    return "the service is \"" + request.service +
           "\"; use elasticache or memorydb (backend.iam_service)";
  }
  // The cache id becomes the signed host: anything a host name cannot hold would make a token
  // no service accepts.
  for (char c : request.cache_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    (c >= 'A' && c <= 'Z');
    if (!ok) return "the cache id \"" + request.cache_id + "\" is not a host name label";
  }
  return {};
}

namespace {

// Reads `width` digits at `text[at]`; -1 when they are not digits.
int digits(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) return -1;
  int value = 0;
  const char* begin = text.data() + at;
  auto [end, error] = std::from_chars(begin, begin + width, value);
  return (error != std::errc() || end != begin + width) ? -1 : value;
}

bool utc_suffix(std::string_view rest) {
  if (!rest.empty() && rest.front() == '.') {  // a fraction of a second: ignored
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  return rest == "Z" || rest == "+00:00";
}

}  // namespace

std::optional<Clock::time_point> parse_iso8601(std::string_view text) {
  const bool compact = text.size() >= 9 && text[8] == 'T';
  // Offsets of year, month, day, 'T', hour, minute, second in each form.
  const std::size_t at_month = compact ? 4 : 5, at_day = compact ? 6 : 8, t = compact ? 8 : 10;
  const std::size_t at_hour = t + 1, at_minute = compact ? 11 : 14, at_second = compact ? 13 : 17;
  if (text.size() < at_second + 3 || text[t] != 'T') return std::nullopt;
  if (!compact && (text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':')) {
    return std::nullopt;
  }
  const int y = digits(text, 0, 4), mo = digits(text, at_month, 2), d = digits(text, at_day, 2);
  const int h = digits(text, at_hour, 2), mi = digits(text, at_minute, 2);
  const int s = digits(text, at_second, 2);
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 ||
      s < 0 || !utc_suffix(text.substr(at_second + 2))) {
    return std::nullopt;
  }
  using namespace std::chrono;
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)},
                            day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return Clock::time_point{sys_days{date}} + hours{h} + minutes{mi} + seconds{s};
}

}  // namespace funnel::aws
