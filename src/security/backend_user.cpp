// plan_backend_user and the derived name and password (see backend_user.hpp).
#include "security/backend_user.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

#include "security/password_hash.hpp"

namespace funnel::security {
namespace {

bool known(const command::CommandTable* table, std::string_view name) {
  if (table == nullptr) return true;
  const std::size_t bar = name.find('|');
  const command::CommandSpec* top = table->find(name.substr(0, bar));
  if (top == nullptr) return false;
  if (bar == std::string_view::npos) return true;
  return command::CommandTable::find_subcommand(*top, name.substr(bar + 1)) != nullptr;
}

}  // namespace

BackendUserPlan plan_backend_user(const BackendUserSpec& spec, const command::CommandTable* table) {
  BackendUserPlan plan;
  plan.rules.push_back("+@all");
  for (const std::string& name : spec.denied) {
    if (known(table, name)) plan.rules.push_back("-" + name);
  }
  // After the removals: Redis applies rules in order, so "+config|get" gives back what
  // "-config" took.
  for (const std::string& name : spec.granted) {
    if (known(table, name)) plan.rules.push_back("+" + name);
  }
  std::string all;
  for (const std::string& rule : plan.rules) all += rule + ' ';
  plan.name = "funnel-" + to_hex(sha256(all)).substr(0, 16);
  return plan;
}

std::string backend_user_password(const std::string* backend_password, std::string_view name) {
  if (backend_password == nullptr || backend_password->empty()) return {};
  Sha256 digest{};
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), backend_password->data(), static_cast<int>(backend_password->size()),
           reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest.data(),
           &size) == nullptr ||
      size != digest.size()) {
    throw std::runtime_error("OpenSSL HMAC(SHA-256) failed");
  }
  return to_hex(digest);
}

std::vector<std::string> setuser_arguments(const BackendUserPlan& plan, std::string_view password) {
  std::vector<std::string> args = {plan.name, "reset", "on"};
  args.push_back(password.empty() ? std::string("nopass") : "#" + to_hex(sha256(password)));
  args.insert(args.end(), {"~*", "&*"});
  args.insert(args.end(), plan.rules.begin(), plan.rules.end());
  return args;
}

}  // namespace funnel::security
