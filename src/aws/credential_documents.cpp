// Parsers for the credential documents (see credential_documents.hpp). The JSON and XML readers
// are deliberately narrow: they find named string fields of the small documents AWS endpoints
// return, and refuse what they cannot read rather than guess.
#include "aws/credential_documents.hpp"

#include <cctype>
#include <charconv>

#include "aws/iam_token.hpp"

namespace funnel::aws {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

IniFile parse_ini(std::string_view text) {
  IniFile file;
  std::map<std::string, std::string>* section = nullptr;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = &file[std::string(trim(line.substr(1, line.size() - 2)))];
      continue;
    }
    const std::size_t equals = line.find('=');
    if (section == nullptr || indented || equals == std::string_view::npos) continue;
    (*section)[lower(trim(line.substr(0, equals)))] = std::string(trim(line.substr(equals + 1)));
  }
  return file;
}

const std::map<std::string, std::string>* credentials_section(const IniFile& file,
                                                              std::string_view profile) {
  const auto found = file.find(std::string(profile));
  return found == file.end() ? nullptr : &found->second;
}

const std::map<std::string, std::string>* config_section(const IniFile& file,
                                                         std::string_view profile) {
  if (profile == "default") {
    if (auto found = file.find("default"); found != file.end()) return &found->second;
  }
  const auto found = file.find("profile " + std::string(profile));
  return found == file.end() ? nullptr : &found->second;
}

std::optional<Credentials> static_keys(const std::map<std::string, std::string>& section) {
  const auto id = section.find("aws_access_key_id");
  const auto secret = section.find("aws_secret_access_key");
  if (id == section.end() || secret == section.end()) return std::nullopt;
  Credentials credentials{.access_key_id = id->second, .secret_access_key = secret->second};
  if (auto token = section.find("aws_session_token"); token != section.end()) {
    credentials.session_token = token->second;
  }
  return credentials;
}

namespace {

// Decodes the JSON string starting after its opening quote at text[at]; none when malformed.
// \uXXXX is decoded for ASCII only (credentials are ASCII); other code points are refused.
std::optional<std::string> json_string_at(std::string_view text, std::size_t at) {
  std::string out;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++at >= text.size()) return std::nullopt;
    switch (text[at]) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (at + 4 >= text.size()) return std::nullopt;
        unsigned code = 0;
        const char* first = text.data() + at + 1;
        auto [end, error] = std::from_chars(first, first + 4, code, 16);
        if (error != std::errc() || end != first + 4 || code > 0x7f) return std::nullopt;
        out += static_cast<char>(code);
        at += 4;
        break;
      }
      default:
        out += text[at];  // \" \\ \/
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> json_string_field(std::string_view text, std::string_view name) {
  const std::string quoted = '"' + std::string(name) + '"';
  for (std::size_t at = text.find(quoted); at != std::string_view::npos;
       at = text.find(quoted, at + 1)) {
    std::size_t next = at + quoted.size();
    while (next < text.size() && std::isspace(static_cast<unsigned char>(text[next]))) ++next;
    if (next >= text.size() || text[next] != ':') continue;  // a value that equals the name
    ++next;
    while (next < text.size() && std::isspace(static_cast<unsigned char>(text[next]))) ++next;
    if (next >= text.size() || text[next] != '"') return std::nullopt;
    return json_string_at(text, next + 1);
  }
  return std::nullopt;
}

namespace {

ParsedCredentials with_expiry(Credentials credentials, const std::optional<std::string>& expiry) {
  if (!credentials.complete()) return {.error = "the document has no AccessKeyId/SecretAccessKey"};
  if (expiry) {
    credentials.expiry = parse_iso8601(*expiry);
    if (!credentials.expiry) return {.error = "the Expiration is not an ISO-8601 UTC time"};
  }
  return {.credentials = std::move(credentials)};
}

// The text between <name> and </name>; none when absent.
std::optional<std::string> xml_element(std::string_view text, std::string_view name) {
  const std::string open = '<' + std::string(name) + '>';
  const std::size_t start = text.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const std::size_t begin = start + open.size();
  const std::size_t end = text.find("</" + std::string(name) + '>', begin);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(trim(text.substr(begin, end - begin)));
}

// XML's five predefined entities; STS escapes '&', '<' and '>' in tokens this way.
std::string xml_unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t at = 0; at < text.size(); ++at) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.substr(at, entity.size()) == entity) {
        out += c;
        at += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[at];
  }
  return out;
}

}  // namespace

ParsedCredentials parse_credentials_json(std::string_view text) {
  if (auto code = json_string_field(text, "Code"); code && *code != "Success") {
    return {.error = "the endpoint answered Code " + *code};
  }
  Credentials credentials;
  credentials.access_key_id = json_string_field(text, "AccessKeyId").value_or("");
  credentials.secret_access_key = json_string_field(text, "SecretAccessKey").value_or("");
  credentials.session_token = json_string_field(text, "Token").value_or("");
  return with_expiry(std::move(credentials), json_string_field(text, "Expiration"));
}

namespace {

// The unsigned integer value of field `name` in a flat JSON object; none when absent or not one.
std::optional<unsigned> json_unsigned_field(std::string_view text, std::string_view name) {
  const std::string quoted = '"' + std::string(name) + '"';
  std::size_t at = text.find(quoted);
  if (at == std::string_view::npos) return std::nullopt;
  at += quoted.size();
  while (at < text.size() &&
         (std::isspace(static_cast<unsigned char>(text[at])) || text[at] == ':')) {
    ++at;
  }
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), value);
  if (error != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

ParsedCredentials parse_process_json(std::string_view text) {
  if (json_unsigned_field(text, "Version") != 1u) {
    return {.error = "the output is not a Version 1 credentials document"};
  }
  Credentials credentials;
  credentials.access_key_id = json_string_field(text, "AccessKeyId").value_or("");
  credentials.secret_access_key = json_string_field(text, "SecretAccessKey").value_or("");
  credentials.session_token = json_string_field(text, "SessionToken").value_or("");
  return with_expiry(std::move(credentials), json_string_field(text, "Expiration"));
}

ParsedCredentials parse_sts_response(std::string_view text) {
  if (text.find("<ErrorResponse") != std::string_view::npos) {
    return {.error = "STS refused: " + xml_element(text, "Code").value_or("?") + ": " +
                     xml_unescape(xml_element(text, "Message").value_or(""))};
  }
  const auto block = xml_element(text, "Credentials");
  if (!block) return {.error = "the STS response has no <Credentials>"};
  Credentials credentials;
  credentials.access_key_id = xml_unescape(xml_element(*block, "AccessKeyId").value_or(""));
  credentials.secret_access_key = xml_unescape(xml_element(*block, "SecretAccessKey").value_or(""));
  credentials.session_token = xml_unescape(xml_element(*block, "SessionToken").value_or(""));
  return with_expiry(std::move(credentials), xml_element(*block, "Expiration"));
}

}  // namespace funnel::aws
