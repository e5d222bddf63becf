// The documents credentials arrive in, parsed without I/O: the shared credentials and config
// files (INI), the JSON of the EC2 instance metadata service and the container endpoint, and the
// XML of STS AssumeRoleWithWebIdentity. Errors never quote a secret.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"

namespace funnel::aws {

// section name -> key -> value. Keys are lower-cased (as botocore's configparser does); values
// are trimmed; '#' and ';' lines are comments; indented lines (nested settings such as s3 = ...)
// are skipped.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile parse_ini(std::string_view text);

// The section of `profile` in the shared credentials file ("name") or the config file
// ("profile name", or "default"). Null when absent.
const std::map<std::string, std::string>* credentials_section(const IniFile& file,
                                                              std::string_view profile);
const std::map<std::string, std::string>* config_section(const IniFile& file,
                                                         std::string_view profile);

// aws_access_key_id / aws_secret_access_key / aws_session_token of a section; none when the key
// pair is not there.
std::optional<Credentials> static_keys(const std::map<std::string, std::string>& section);

struct ParsedCredentials {
  std::optional<Credentials> credentials{};
  std::string error{};  // why not, when credentials is empty
};

// {"AccessKeyId": ..., "SecretAccessKey": ..., "Token": ..., "Expiration": "...Z", ...} from
// IMDS (also "Code": "Success") and the container endpoint.
ParsedCredentials parse_credentials_json(std::string_view text);

// What a credential_process prints: {"Version": 1, "AccessKeyId": ..., "SecretAccessKey": ...,
// "SessionToken": ..., "Expiration": "...Z"} (SessionToken and Expiration optional).
ParsedCredentials parse_process_json(std::string_view text);

// <AssumeRoleWithWebIdentityResponse>...<Credentials><AccessKeyId>...</Credentials>, or an
// <ErrorResponse> whose Code and Message become the error.
ParsedCredentials parse_sts_response(std::string_view text);

// The value of string field `name` in a flat JSON object (escapes decoded); none when absent.
std::optional<std::string> json_string_field(std::string_view text, std::string_view name);

}  // namespace funnel::aws
