// The IAM token's shape and the --at time parser. The byte-for-byte comparison with botocore is
// tests/integration/aws/iam_token_botocore_test (a reference outside our code); these vectors
// were produced by it (tests/integration/aws/botocore_token.py) and pin the result without Python.
#include "aws/iam_token.hpp"

#include <gtest/gtest.h>

namespace funnel::aws {
namespace {

using std::chrono::seconds;

TEST(IamToken, MatchesBotocoreVectors) {
  const auto when = parse_iso8601("2026-01-02T03:04:05Z");
  ASSERT_TRUE(when);
  struct Case {
    IamTokenRequest request;
    std::string secret, token, expected;
  };
  const Case cases[] = {
      {{"my user", "my-cache", "us-east-1", "elasticache", true},
       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
       "",
       "my-cache/?Action=connect&User=my%20user&ResourceType=ServerlessCache"
       "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
       "&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Fus-east-1%2Felasticache%2Faws4_request"
       "&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
       "&X-Amz-Signature=c324158605062c871656c113ecea5fa0a493bf1f65014d25e10d3338d7717275"},
      {{"u", "my-cache", "eu-west-1", "memorydb", false},
       "x",
       "tok/+=",
       "my-cache/?Action=connect&User=u&X-Amz-Algorithm=AWS4-HMAC-SHA256"
       "&X-Amz-Credential=AKIDEXAMPLE%2F20260102%2Feu-west-1%2Fmemorydb%2Faws4_request"
       "&X-Amz-Date=20260102T030405Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
       "&X-Amz-Security-Token=tok%2F%2B%3D"
       "&X-Amz-Signature=218e0762199e7881427dc9ce7569f9037b90acb8f0923623b2bff5fc9a44e441"},
  };
  for (const Case& c : cases) {
    Credentials credentials{
        .access_key_id = "AKIDEXAMPLE", .secret_access_key = c.secret, .session_token = c.token};
    EXPECT_EQ(make_iam_token(c.request, credentials, *when), c.expected);
  }
}

TEST(IamToken, ChecksTheRequest) {
  IamTokenRequest ok{"u", "cache-1", "us-east-1"};
  EXPECT_EQ(check_iam_request(ok), "");
  auto with = [&](auto change) {
    IamTokenRequest request = ok;
    change(request);
    return check_iam_request(request);
  };
  EXPECT_NE(with([](auto& r) { r.user.clear(); }).find("iam_user"), std::string::npos);
  EXPECT_NE(with([](auto& r) { r.cache_id.clear(); }).find("iam_cache_id"), std::string::npos);
  EXPECT_NE(with([](auto& r) { r.region.clear(); }).find("iam_region"), std::string::npos);
  EXPECT_NE(with([](auto& r) { r.service = "s3"; }).find("elasticache or memorydb"),
            std::string::npos);
  EXPECT_NE(with([](auto& r) { r.cache_id = "a/b"; }).find("host name"), std::string::npos);
  EXPECT_EQ(with([](auto& r) { r.service = "memorydb"; }), "");
}

TEST(IamToken, ParsesIso8601Forms) {
  using namespace std::chrono;
  const Clock::time_point expected{sys_days{year{2026} / 1 / 2} + hours{3} + minutes{4} +
                                   seconds{5}};
  for (std::string_view text : {"2026-01-02T03:04:05Z", "20260102T030405Z",
                                "2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05+00:00"}) {
    const auto parsed = parse_iso8601(text);
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, expected) << text;
  }
  for (std::string_view text :
       {"", "2026-01-02", "2026-01-02T03:04:05", "2026-01-02T03:04:05+01:00",
        "2026-13-02T03:04:05Z", "2026-02-30T03:04:05Z", "2026-01-02T24:04:05Z",
        "2026/01/02T03:04:05Z", "x026-01-02T03:04:05Z", "20260102T030405",
        "2026-01-02T03:04:05Zjunk"}) {
    EXPECT_FALSE(parse_iso8601(text)) << text;
  }
}

}  // namespace
}  // namespace funnel::aws
