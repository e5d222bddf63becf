// Secrets: password files and the FUNNEL_* environment variables, their precedence, their
// errors, and that no error message ever contains a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "config_test_support.hpp"

namespace funnel::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using SecretsTest = ConfigTest;

constexpr const char* kSecret = "s3cr3t-Zx9-not-for-logs";

TEST_F(SecretsTest, PasswordFilesAreReadAndTheTrailingNewlineDropped) {
  TempFile backend(std::string(kSecret) + "\r\n");
  TempFile clients("client pass\n");
  Config config = runnable_config();
  config.backend.password_file = backend.path();
  config.auth.requirepass_file = clients.path();
  finalize(config);
  EXPECT_EQ(config.backend.password, kSecret);
  EXPECT_EQ(config.backend.password_file, backend.path());
  EXPECT_EQ(config.auth.requirepass, "client pass");
}

TEST_F(SecretsTest, EmptyFileIsAnErrorNamingKeyAndPath) {
  for (const char* content : {"", "\n", "\r\n\n"}) {
    TempFile file(content);
    Config config = runnable_config();
    config.auth.requirepass_file = file.path();
    EXPECT_EQ(error_of([&] { finalize(config); }),
              "auth.requirepass_file = \"" + file.path() +
                  "\": the file is empty: put the password in it (a trailing newline is "
                  "ignored)");
  }
}

TEST_F(SecretsTest, UnreadableFileNamesThePathAndTheReason) {
  Config config = runnable_config();
  config.backend.password_file = "/nonexistent/funnel/backend.pass";
  EXPECT_THAT(error_of([&] { finalize(config); }),
              AllOf(HasSubstr("backend.password_file = \"/nonexistent/funnel/backend.pass\""),
                    HasSubstr("No such file or directory")));
  config.backend.password_file = "/tmp";
  EXPECT_THAT(error_of([&] { finalize(config); }), HasSubstr("Is a directory"));
}

TEST_F(SecretsTest, EnvironmentProvidesSecretsWhenNoFileIsGiven) {
  ScopedEnv clients("FUNNEL_REQUIREPASS", "from-env-1");
  ScopedEnv backend("FUNNEL_BACKEND_PASSWORD", "from-env-2");
  Config config = runnable_config();
  finalize(config);
  EXPECT_EQ(config.auth.requirepass, "from-env-1");
  EXPECT_EQ(config.backend.password, "from-env-2");
  EXPECT_EQ(config.backend.password_file, "");
}

TEST_F(SecretsTest, FileWinsOverEnvironment) {
  ScopedEnv clients("FUNNEL_REQUIREPASS", "from-env");
  TempFile file("from-file\n");
  Config config = runnable_config();
  config.auth.requirepass_file = file.path();
  finalize(config);
  EXPECT_EQ(config.auth.requirepass, "from-file");
}

TEST_F(SecretsTest, EmptyEnvironmentVariableIsAnError) {
  ScopedEnv backend("FUNNEL_BACKEND_PASSWORD", "");
  Config config = runnable_config();
  EXPECT_THAT(error_of([&] { finalize(config); }),
              HasSubstr("FUNNEL_BACKEND_PASSWORD is set but empty"));
}

TEST_F(SecretsTest, FlagsChooseTheSecretFiles) {
  TempFile backend(kSecret);
  TempFile clients("clients\n");
  Invocation run = invoke({"--backend", "10.0.0.5:6379", "--backend-password-file", backend.path(),
                           "--backend-user", "proxy", "--requirepass-file", clients.path()});
  EXPECT_EQ(run.config.backend.password, kSecret);
  EXPECT_EQ(run.config.backend.user, "proxy");
  EXPECT_EQ(run.config.auth.requirepass, "clients");
}

// Every failure we can provoke after (or while) secrets are loaded, from files and from the
// environment: none of the messages may contain the secret.
TEST_F(SecretsTest, NoErrorMessageContainsASecret) {
  TempFile secret_file(std::string(kSecret) + "\n");
  TempFile big_file(std::string(kSecret) + std::string(70 * 1024, 'x'));
  ScopedEnv env("FUNNEL_REQUIREPASS", kSecret);
  const std::string bad_limits =
      "[limits]\nclient_output_soft_bytes = \"2mb\"\nclient_output_hard_bytes = \"1mb\"\n";
  TempFile config_file(bad_limits + "[backend]\npassword_file = \"" + secret_file.path() + "\"\n");
  TempFile literal_file("[backend]\npassword = \"" + std::string(kSecret) + "\"\n");
  const std::vector<std::function<void()>> failures = {
      [&] {
        invoke({"--config", config_file.path(), "--backend", "r:1"});
      },
      [&] {
        invoke({"--config", literal_file.path(), "--backend", "r:1"});
      },
      [&] {
        invoke({"--config", secret_file.path(), "--backend", "r:1"});
      },  // not TOML
      [&] {
        invoke({"--backend", "r:1", "--backend-password-file", big_file.path()});
      },
      [&] {
        invoke({"--backend-password-file", secret_file.path()});
      },  // no backend
      [&] {
        invoke({"--backend", "r:1", "--backend-password-file", secret_file.path(),
                "--request-timeout-ms", "20000"});  // above the link stall timeout
      },
  };
  for (std::size_t i = 0; i < failures.size(); ++i) {
    std::string message = error_of(failures[i]);
    EXPECT_FALSE(message.empty()) << "case " << i;
    EXPECT_THAT(message, Not(HasSubstr("s3cr3t"))) << "case " << i;
  }
}

}  // namespace
}  // namespace funnel::config
