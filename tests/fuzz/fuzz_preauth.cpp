// libFuzzer target for the pre-auth path: arbitrary client bytes go through the parser with the
// unauthenticated limits, classify(), and the same authentication and permission steps a
// ClientSession takes (NOAUTH gate, AUTH / HELLO AUTH against a user directory, the access
// check of the logged-in user). No sockets. Nothing may crash, and before a successful AUTH no
// request other than AUTH, HELLO, QUIT and RESET may pass the gate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "command/ascii.hpp"
#include "command/classify.hpp"
#include "security/access_check.hpp"

using namespace funnel;

namespace {

std::shared_ptr<const security::UserDirectory> make_directory() {
  config::AuthConfig auth;
  auth.requirepass = "pw";
  config::UserConfig alice;
  alice.name = "alice";
  alice.password = "a";
  alice.rules = "~app:* ~x?[a-c]* +@read -keys +eval";
  auth.users.push_back(alice);
  return security::UserDirectory::build(auth);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto table = command::CommandTable::builtin();
  static const auto users = make_directory();
  std::string_view buf(reinterpret_cast<const char*>(data), size);
  resp::RequestParser parser(resp::ParseLimits{
      .max_args = 64, .max_bulk_bytes = 4096, .max_inline_bytes = 4096, .max_request_bytes = 4096});
  command::Classification cls;
  const security::User* user = users->initial_user();
  while (!buf.empty()) {
    parser.reset();
    if (parser.parse(buf) != resp::ParseStatus::kComplete) break;
    if (parser.consumed() == 0) break;
    buf.remove_prefix(parser.consumed());
    const resp::Request& request = parser.request();
    if (request.is_empty()) continue;
    command::classify(*table, request, cls);
    if (cls.route == command::Route::kReject) continue;
    const bool no_auth = cls.spec != nullptr && cls.spec->has(command::Flag::kNoAuth);
    // The session's NOAUTH gate.
    if (user == nullptr && !no_auth && cls.local != command::LocalCommand::kQuit) continue;
    if (cls.local == command::LocalCommand::kAuth && request.argc() <= 3) {
      const std::string_view name = request.argc() == 3 ? request.arg(1) : "default";
      if (const auto* found = users->authenticate(name, request.arg(request.argc() - 1))) {
        user = found;
      }
      continue;
    }
    if (cls.local == command::LocalCommand::kHello) {
      for (std::size_t i = 2; i + 2 < request.argc(); ++i) {
        if (command::iequals(request.arg(i), "AUTH")) {
          if (const auto* found = users->authenticate(request.arg(i + 1), request.arg(i + 2))) {
            user = found;
          }
          break;
        }
      }
      continue;
    }
    if (user == nullptr) {
      // Only AUTH, HELLO, QUIT, RESET may get here before authentication.
      if (!no_auth && cls.local != command::LocalCommand::kQuit) std::abort();
      continue;
    }
    if (cls.spec != nullptr) {
      (void)security::check_access(*user, users->policy(), *cls.spec, request);
      (void)security::access_needs_check(*user, users->policy(), *cls.spec);
    }
  }
  return 0;
}
