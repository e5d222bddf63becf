// SigV4 pieces against AWS's published examples: the signing-key derivation of the "Examples of
// how to derive a signing key" page, and the S3 query-string (presigned URL) example of
// "Authenticating Requests: Using Query Parameters".
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

namespace funnel::aws {
namespace {

Clock::time_point at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  using namespace std::chrono;
  return Clock::time_point{sys_days{year{y} / month{mo} / day{d}}} + hours{h} + minutes{mi} +
         seconds{s};
}

TEST(Sigv4, HashesMatchKnownDigests) {
  EXPECT_EQ(hex(sha256("")), kEmptyPayloadHash);
  EXPECT_EQ(kEmptyPayloadHash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Sigv4, SigningKeyMatchesAwsExample) {
  EXPECT_EQ(
      hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
      "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sigv4, UriEncodeKeepsOnlyUnreservedBytes) {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"abcXYZ019-_.~", "abcXYZ019-_.~"},
      {"a b", "a%20b"},
      {"a+b/c=d&e", "a%2Bb%2Fc%3Dd%26e"},
      {"", ""},
      {"\xc3\xa9", "%C3%A9"},  // UTF-8 bytes, upper-case hex
      {"%", "%25"},
      {std::string_view("\0\x7f", 2), "%00%7F"},
  };
  for (const Case& c : cases) EXPECT_EQ(uri_encode(c.in), c.out) << c.in;
}

TEST(Sigv4, CanonicalQuerySortsEncodedNames) {
  EXPECT_EQ(canonical_query({{"b", "2"}, {"a", "x y"}, {"A", "1"}, {"X-Amz-Date", "d"}}),
            "A=1&X-Amz-Date=d&a=x%20y&b=2");
}

TEST(Sigv4, AmzDateIsUtcCompact) {
  EXPECT_EQ(amz_date(at(2013, 5, 24, 0, 0, 0)), "20130524T000000Z");
  EXPECT_EQ(amz_date(at(2026, 12, 31, 23, 59, 59)), "20261231T235959Z");
}

// AWS's presigned-URL example (S3, GET /test.txt, 86400 s, UNSIGNED-PAYLOAD).
TEST(Sigv4, PresignMatchesAwsS3QueryExample) {
  Credentials credentials{.access_key_id = "AKIAIOSFODNN7EXAMPLE",
                          .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
  PresignInput input;
  input.host = "examplebucket.s3.amazonaws.com";
  input.path = "/test.txt";
  input.service = "s3";
  input.region = "us-east-1";
  input.expires = std::chrono::seconds(86400);
  input.payload_hash = "UNSIGNED-PAYLOAD";
  EXPECT_EQ(presign(input, credentials, at(2013, 5, 24, 0, 0, 0)),
            "examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(Sigv4, SessionTokenIsSignedAndEncoded) {
  Credentials plain{.access_key_id = "AKID", .secret_access_key = "secret"};
  Credentials temporary = plain;
  temporary.session_token = "tok/+=";
  PresignInput input;
  input.host = "h";
  input.service = "elasticache";
  input.region = "us-east-1";
  const auto when = at(2026, 1, 2, 3, 4, 5);
  const std::string with = presign(input, temporary, when);
  EXPECT_NE(with.find("&X-Amz-Security-Token=tok%2F%2B%3D&X-Amz-Signature="), std::string::npos);
  EXPECT_EQ(presign(input, plain, when).find("Security-Token"), std::string::npos);
  // The token is part of what is signed: the signatures differ.
  const std::string without = presign(input, plain, when);
  EXPECT_NE(with.substr(with.size() - 64), without.substr(without.size() - 64));
}

}  // namespace
}  // namespace funnel::aws
