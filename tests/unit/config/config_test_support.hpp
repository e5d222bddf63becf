// Helpers for the config unit tests: temporary files, a clean environment for the secret
// variables, running the command line, and catching a ConfigError's message.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace funnel::config {

// A file under /tmp with the given content, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char pattern[] = "/tmp/funnel-config-test-XXXXXX";
    int fd = ::mkstemp(pattern);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Sets (or unsets, with nullopt) an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Every config test starts without the secret variables, whatever the shell running it has set.
class ConfigTest : public ::testing::Test {
 private:
  ScopedEnv requirepass_{"FUNNEL_REQUIREPASS", std::nullopt};
  ScopedEnv backend_password_{"FUNNEL_BACKEND_PASSWORD", std::nullopt};
  ScopedEnv sentinel_password_{"FUNNEL_SENTINEL_PASSWORD", std::nullopt};
};

inline Invocation invoke(std::vector<std::string> args) {
  args.insert(args.begin(), "funnel");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return parse_invocation(static_cast<int>(argv.size()), argv.data());
}

// The message of the ConfigError that `action` throws; a test failure if it throws nothing.
template <typename Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected a ConfigError";
  return "";
}

inline std::string toml_error(const std::string& doc) {
  return error_of([&] { load_toml(doc, "test.toml"); });
}

// A config that passes finalize(): only the backend is required.
inline Config runnable_config() {
  Config config;
  config.backend.address = HostPort{"10.0.0.5", 6379};
  return config;
}

}  // namespace funnel::config
