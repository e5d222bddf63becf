// The credential documents: INI files as botocore reads them, the IMDS/container JSON and the
// STS XML (shapes from the AWS documentation), with the malformed inputs refused.
#include "aws/credential_documents.hpp"

#include <gtest/gtest.h>

#include "aws/iam_token.hpp"

namespace funnel::aws {
namespace {

TEST(CredentialDocuments, ParsesIniProfiles) {
  const IniFile file = parse_ini(
      "# comment\n[default]\naws_access_key_id = AKID1\nAWS_Secret_Access_Key=s1\n"
      "; another\n[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 5\n"
      "role_arn=arn:aws:iam::1:role/r\n\n[dev]\r\naws_access_key_id = AKID2\r\n"
      "aws_secret_access_key = s2 \naws_session_token = t2\nnot a pair\n");
  ASSERT_TRUE(credentials_section(file, "default"));
  auto keys = static_keys(*credentials_section(file, "default"));
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->access_key_id, "AKID1");
  EXPECT_EQ(keys->secret_access_key, "s1");  // key names are case-insensitive
  EXPECT_EQ(keys->session_token, "");
  keys = static_keys(*credentials_section(file, "dev"));
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->secret_access_key, "s2");
  EXPECT_EQ(keys->session_token, "t2");
  const auto* dev = config_section(file, "dev");
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->at("region"), "eu-west-1");
  EXPECT_EQ(dev->count("max_concurrent_requests"), 0u);  // nested s3 setting skipped
  EXPECT_EQ(dev->at("role_arn"), "arn:aws:iam::1:role/r");
  EXPECT_TRUE(config_section(file, "default"));  // [default] in the config file
  EXPECT_FALSE(config_section(file, "other"));
  EXPECT_FALSE(static_keys(*dev));  // no key pair
}

TEST(CredentialDocuments, ParsesMetadataJson) {
  const auto parsed = parse_credentials_json(
      R"({"Code" : "Success", "LastUpdated" : "2026-01-02T03:00:00Z", "Type" : "AWS-HMAC",)"
      R"( "AccessKeyId" : "ASIAX", "SecretAccessKey" : "se\/cr\"et", "Token" : "tok\u002B",)"
      R"( "Expiration" : "2026-01-02T09:00:00Z"})");
  ASSERT_TRUE(parsed.credentials) << parsed.error;
  EXPECT_EQ(parsed.credentials->access_key_id, "ASIAX");
  EXPECT_EQ(parsed.credentials->secret_access_key, "se/cr\"et");
  EXPECT_EQ(parsed.credentials->session_token, "tok+");
  EXPECT_EQ(parsed.credentials->expiry, parse_iso8601("2026-01-02T09:00:00Z"));
}

TEST(CredentialDocuments, RefusesBadJson) {
  struct Case {
    std::string_view text, error;
  };
  const Case cases[] = {
      {R"({"Code":"Failure","Message":"x"})", "Code Failure"},
      {R"({"AccessKeyId":"A"})", "no AccessKeyId/SecretAccessKey"},
      {R"({"AccessKeyId":"A","SecretAccessKey":"B","Expiration":"tomorrow"})", "ISO-8601"},
      {R"({"AccessKeyId":"A","SecretAccessKey":"B)", "no AccessKeyId"},  // unterminated
      {R"({"AccessKeyId":12,"SecretAccessKey":"B"})", "no AccessKeyId"},
      {R"({"AccessKeyId":"\u00e9","SecretAccessKey":"B"})", "no AccessKeyId"},
      {"", "no AccessKeyId"},
  };
  for (const Case& c : cases) {
    const auto parsed = parse_credentials_json(c.text);
    EXPECT_FALSE(parsed.credentials) << c.text;
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.text << " -> " << parsed.error;
  }
  // Without Expiration: credentials that do not expire (container endpoints may omit it).
  const auto plain = parse_credentials_json(R"({"AccessKeyId":"A","SecretAccessKey":"B"})");
  ASSERT_TRUE(plain.credentials);
  EXPECT_FALSE(plain.credentials->expiry);
}

TEST(CredentialDocuments, ParsesStsXml) {
  const auto parsed = parse_sts_response(
      R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE&amp;x</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration>
      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)");
  ASSERT_TRUE(parsed.credentials) << parsed.error;
  EXPECT_EQ(parsed.credentials->access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
  EXPECT_EQ(parsed.credentials->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(parsed.credentials->session_token, "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE&x");
  EXPECT_EQ(parsed.credentials->expiry, parse_iso8601("2014-10-24T23:00:23Z"));
}

TEST(CredentialDocuments, RefusesStsErrors) {
  auto parsed = parse_sts_response(
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
      "<Message>Token &lt;expired&gt;</Message></Error></ErrorResponse>");
  EXPECT_FALSE(parsed.credentials);
  EXPECT_EQ(parsed.error, "STS refused: InvalidIdentityToken: Token <expired>");
  parsed = parse_sts_response("<Response/>");
  EXPECT_FALSE(parsed.credentials);
  EXPECT_NE(parsed.error.find("no <Credentials>"), std::string::npos);
}

}  // namespace
}  // namespace funnel::aws
