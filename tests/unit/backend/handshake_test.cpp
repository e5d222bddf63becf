// The link handshake: what Funnel sends on every backend link, and how it reads the answer.
#include "backend/handshake.hpp"

#include <gtest/gtest.h>

namespace funnel::backend {
namespace {

TEST(Handshake, NamesTheLinkAndSpeaksTheClientsProtocol) {
  EXPECT_EQ(
      encode_handshake(resp::Protocol::kResp3, "", nullptr, "funnel:shared:resp3:db0:0"),
      "*4\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$7\r\nSETNAME\r\n$25\r\nfunnel:shared:resp3:db0:0\r\n");
}

TEST(Handshake, ALinkOfAnotherDatabaseSelectsItAfterHello) {
  EXPECT_EQ(encode_handshake(resp::Protocol::kResp2, "", nullptr, "n", 3),
            "*4\r\n$5\r\nHELLO\r\n$1\r\n2\r\n$7\r\nSETNAME\r\n$1\r\nn\r\n"
            "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n");
  EXPECT_EQ(handshake_replies(0), 1u);
  EXPECT_EQ(handshake_replies(3), 2u);
  EXPECT_TRUE(interpret_select_reply("+OK\r\n").ok);
  const HandshakeResult refused = interpret_select_reply("-ERR DB index is out of range\r\n");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.error, "ERR DB index is out of range");
}

TEST(Handshake, AuthenticatesAsTheDefaultUserWhenNoneIsGiven) {
  const std::string password = "pw";
  EXPECT_EQ(encode_handshake(resp::Protocol::kResp2, "", &password, "n"),
            "*7\r\n$5\r\nHELLO\r\n$1\r\n2\r\n$4\r\nAUTH\r\n$7\r\ndefault\r\n$2\r\npw\r\n"
            "$7\r\nSETNAME\r\n$1\r\nn\r\n");
  EXPECT_NE(encode_handshake(resp::Protocol::kResp2, "app", &password, "n").find("$3\r\napp\r\n"),
            std::string::npos);
}

TEST(Handshake, ReadsTheVersionFromEitherProtocol) {
  const std::string resp3 =
      "%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n";
  const std::string resp2 = "*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$5\r\n6.2.1\r\n";
  EXPECT_EQ(interpret_handshake_reply(resp3).redis_version, "7.0.15");
  EXPECT_EQ(interpret_handshake_reply(resp2).redis_version, "6.2.1");
  EXPECT_TRUE(interpret_handshake_reply(resp2).ok);
}

TEST(Handshake, ReportsRefusalsWithTheBackendsText) {
  const auto result = interpret_handshake_reply(
      "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, "WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_FALSE(interpret_handshake_reply("garbage").ok);
}

// Data links provision Funnel's backend user (issue #14 item 4): ACL SETUSER and AUTH follow
// HELLO, and the replies are read in that order.
TEST(Handshake, DataLinksProvisionTheBackendUserAfterHello) {
  security::BackendUserSpec spec;
  spec.denied = {"flushall"};
  security::ScriptGate gate;
  gate.configure(false, false);
  const std::string backend_password = "pw";
  const auto provisioning = make_provisioning(&spec, &gate, &backend_password, nullptr);
  ASSERT_TRUE(provisioning.has_value());
  const std::string& name = provisioning->setuser.at(0);
  const std::string password = security::backend_user_password(&backend_password, name);
  EXPECT_EQ(provisioning->auth, encode_command({"AUTH", name, password}));
  const std::string bytes =
      encode_handshake(resp::Protocol::kResp2, "", &backend_password, "n", 2, &*provisioning);
  const std::size_t setuser = bytes.find("$7\r\nSETUSER\r\n");
  const std::size_t auth = bytes.find(provisioning->auth);
  const std::size_t select = bytes.find("SELECT");
  EXPECT_LT(bytes.find("HELLO"), setuser);
  EXPECT_LT(setuser, auth);
  EXPECT_LT(auth, select);
  EXPECT_NE(bytes.find("$9\r\n-flushall\r\n"), std::string::npos);
  EXPECT_EQ(handshake_replies(2, true), 4u);
  EXPECT_EQ(handshake_step(0, true), HandshakeStep::kHello);
  EXPECT_EQ(handshake_step(1, true), HandshakeStep::kSetUser);
  EXPECT_EQ(handshake_step(2, true), HandshakeStep::kAuth);
  EXPECT_EQ(handshake_step(3, true), HandshakeStep::kSelect);
  EXPECT_EQ(handshake_step(1, false), HandshakeStep::kSelect);
  // No backend password: the user is nopass, and AUTH still needs some password.
  const auto open = make_provisioning(&spec, &gate, nullptr, nullptr);
  EXPECT_EQ(open->setuser.at(3), "nopass");
  EXPECT_EQ(open->auth, encode_command({"AUTH", open->setuser.at(0), "nopass"}));
  // Nothing to provision: an empty deny list, or the operator vouches for backend.user.
  gate.configure(true, false);
  EXPECT_FALSE(make_provisioning(&spec, &gate, &backend_password, nullptr).has_value());
  gate.configure(false, true);
  EXPECT_FALSE(make_provisioning(&spec, &gate, &backend_password, nullptr).has_value());
  EXPECT_FALSE(make_provisioning(nullptr, &gate, &backend_password, nullptr).has_value());
}

}  // namespace
}  // namespace funnel::backend
