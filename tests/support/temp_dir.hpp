// Test fixtures (funnel::test): a private temporary directory per fixture (redis data, logs),
// removed with everything in it when the owner goes away.
#pragma once

#include <string>

namespace funnel::test {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>.XXXXXX (or /tmp/...). Throws on failure.
  explicit TempDir(const std::string& prefix = "funnel-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `text` to the file `name` here (replacing it) and returns its path.
  std::string write(const std::string& name, const std::string& text) const;
  // Keep the directory after the test (e.g. to read logs of a failure): FUNNEL_TEST_KEEP_TMP=1.
  static bool keep_requested();

 private:
  std::string path_;
};

}  // namespace funnel::test
