#include "io/etcd_client.hpp"

#include <charconv>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "protocol/base64.hpp"

namespace dm {

namespace {

using json = nlohmann::json;

// The gateway sends int64 values as strings, and leaves out fields at their default (0, false).
int64_t int_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) return 0;
  if (it->is_string()) {
    auto text = it->get<std::string>();
    int64_t out = 0;
    auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), out);
    return err == std::errc{} && end == text.data() + text.size() ? out : 0;
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  return 0;
}

std::string text_field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return {};
  return unbase64(it->get<std::string>()).value_or(std::string{});
}

etcd_kv kv_of(const json& j) {
  etcd_kv kv;
  kv.key = text_field(j, "key");
  kv.value = text_field(j, "value");
  kv.create_revision = int_field(j, "create_revision");
  kv.mod_revision = int_field(j, "mod_revision");
  kv.lease = int_field(j, "lease");
  return kv;
}

// The key just after every key starting with `prefix` (etcd's range_end of a prefix).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last < 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

json put_op(const std::string& key, const std::string& value, int64_t lease) {
  json put = {{"key", base64(key)}, {"value", base64(value)}};
  if (lease) put["lease"] = std::to_string(lease);
  return {{"request_put", put}};
}

json created_as(const std::string& key, int64_t revision) {
  return {{"key", base64(key)},
          {"target", "CREATE"},
          {"result", "EQUAL"},
          {"create_revision", std::to_string(revision)}};
}

// Compares `key`'s last write with `revision` (0: the key does not exist).
json modified_at(const std::string& key, int64_t revision) {
  return {{"key", base64(key)},
          {"target", "MOD"},
          {"result", "EQUAL"},
          {"mod_revision", std::to_string(revision)}};
}

caf::error bad_answer(const std::string& what, const std::string& answer) {
  return make_error(ec::unavailable, "etcd answered " + what + " with something unexpected: " +
                                         answer.substr(0, 200));
}

}  // namespace

caf::expected<etcd_client> etcd_client::make(const std::string& endpoints,
                                             std::chrono::milliseconds call_timeout,
                                             etcd_tls tls, etcd_login login) {
  etcd_client c;
  c.text_ = endpoints;
  c.timeout_ = call_timeout;
  c.tls_ = std::move(tls);
  c.login_ = std::move(login);
  size_t start = 0;
  while (start <= endpoints.size()) {
    auto comma = endpoints.find(',', start);
    auto item = endpoints.substr(start, comma == std::string::npos ? std::string::npos
                                                                   : comma - start);
    start = comma == std::string::npos ? endpoints.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    bool https = item.rfind("https://", 0) == 0;
    if (https && c.tls_.ca.empty())
      return make_error(ec::invalid_config, "etcd endpoint " + item +
                                                " is TLS (https://) but no CA file is given "
                                                "(ssl-ca, or dmctl's --ssl-ca)");
    if (https) item.erase(0, 8);
    else if (item.rfind("http://", 0) == 0) item.erase(0, 7);
    auto colon = item.rfind(':');
    int port = 0;
    try {
      port = colon == std::string::npos ? 0 : std::stoi(item.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
    if (colon == std::string::npos || colon == 0 || port < 1 || port > 65535)
      return make_error(ec::invalid_config,
                        "etcd endpoint '" + item + "' is not HOST:PORT (e.g. 10.0.0.1:2379)");
    c.endpoints_.push_back({item.substr(0, colon), port, https});
  }
  if (c.endpoints_.empty())
    return make_error(ec::invalid_config, "no etcd endpoint given (HOST:PORT[,HOST:PORT...])");
  return c;
}

caf::error etcd_client::call(const std::string& path, const std::string& body,
                             std::string& answer) {
  if (!login_.user.empty() && token_.empty() && !auth_off_)
    if (auto err = authenticate()) return err;
  bool refused_token = false;
  auto err = call_once(path, body, answer, refused_token);
  if (!refused_token) return err;
  token_.clear();
  auth_off_ = false;
  if (auto auth_err = authenticate()) return auth_err;
  return call_once(path, body, answer, refused_token);
}

caf::error etcd_client::call_once(const std::string& path, const std::string& body,
                                  std::string& answer, bool& refused_token) {
  refused_token = false;
  std::string failures;
  for (size_t tried = 0; tried < endpoints_.size(); ++tried) {
    auto& ep = endpoints_[current_];
    auto base = (ep.https ? "https://" : "http://") + ep.host + ":" + std::to_string(ep.port);
    httplib::Client http = ep.https && !tls_.cert.empty()
                               ? httplib::Client{base, tls_.cert, tls_.key}
                               : httplib::Client{base};
    if (ep.https) {
      http.set_ca_cert_path(tls_.ca.c_str());
      http.enable_server_certificate_verification(true);
    }
    auto ms = timeout_.count();
    http.set_connection_timeout(ms / 1000, (ms % 1000) * 1000);
    http.set_read_timeout(ms / 1000, (ms % 1000) * 1000);
    http.set_write_timeout(ms / 1000, (ms % 1000) * 1000);
    // The gateway ends its error answers with an HTTP trailer, which this httplib cannot read
    // (it reports a read error after the whole body): the status and body are taken as they
    // arrive, and an error answer counts once its body is complete JSON.
    httplib::Request req;
    req.method = body.empty() ? "GET" : "POST";
    req.path = path;
    if (!body.empty()) {
      req.body = body;
      req.set_header("Content-Type", "application/json");
    }
    if (!token_.empty()) req.set_header("Authorization", token_);
    int status = 0;
    std::string text;
    req.response_handler = [&](const httplib::Response& r) {
      status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
      text.append(data, size);
      return true;
    };
    httplib::Response res;
    auto error = httplib::Error::Success;
    bool complete = http.send(req, res, error);
    if (complete && status == 200) {
      answer = std::move(text);
      return caf::none;
    }
    auto where = "etcd at " + ep.host + ":" + std::to_string(ep.port);
    // Refusals of one member only (a learner, an older version, too busy): another may serve.
    bool member_only = status == 429 || text.find("not supported for learner") != std::string::npos ||
                       text.find("not capable") != std::string::npos;
    bool refused = status >= 400 && status < 500 && !member_only &&
                   (complete || !json::parse(text, nullptr, false).is_discarded());
    std::string why = status ? "HTTP " + std::to_string(status) + " " + text.substr(0, 200)
                             : httplib::to_string(error);
    // etcd refused the request itself (a bad lease, a compacted revision, auth): another
    // member answers the same.
    if (refused) {
      // A token etcd forgot, or issued before the last change of users or roles (etcd then
      // asks for a new one); a login refused for want of a token: auth was turned on.
      bool stale_token = text.find("invalid auth token") != std::string::npos ||
                         text.find("revision of auth store is old") != std::string::npos;
      bool no_token = text.find("user name is empty") != std::string::npos;
      if (stale_token || (no_token && !login_.user.empty())) {
        refused_token = true;
        return make_error(ec::unavailable, where + " asks this client to log in again");
      }
      if (no_token)
        return make_error(ec::invalid_config,
                          where + " has user/role auth on: set etcd-user and etcd-password "
                                  "(dmctl: --etcd-user and --etcd-password)");
      if (text.find("permission denied") != std::string::npos)
        return make_error(ec::invalid_config,
                          where + " denied etcd user '" + login_.user + "' " + path +
                              ": grant that user a role with readwrite on the prefix /dmw/");
      return make_error(ec::unavailable, where + " refused " + path + ": " + why);
    }
    failures += (failures.empty() ? "" : "; ") + ep.host + ":" + std::to_string(ep.port) + " " +
                why;
    current_ = (current_ + 1) % endpoints_.size();
  }
  return make_error(ec::unavailable,
                    "no etcd endpoint answered " + path + " (" + failures +
                        "); check that etcd runs and that join / --master-addr name it");
}

caf::error etcd_client::authenticate() {
  std::string answer;
  bool refused_token = false;
  json body = {{"name", login_.user}, {"password", login_.password}};
  auto err = call_once("/v3/auth/authenticate", body.dump(), answer, refused_token);
  if (err) {
    auto text = describe(err);
    if (text.find("invalid user ID or password") != std::string::npos)
      return make_error(ec::invalid_config,
                        "etcd at " + text_ + " refused user '" + login_.user +
                            "': wrong user or password (etcd-user, etcd-password; dmctl: "
                            "--etcd-user, --etcd-password)");
    // Set ahead of etcd's auth (or left after it was turned off): calls go without a token
    // until etcd asks for one.
    if (text.find("authentication is not enabled") != std::string::npos) {
      auth_off_ = true;
      return caf::none;
    }
    return err;
  }
  auto j = json::parse(answer, nullptr, false);
  auto token = j.is_object() ? j.find("token") : j.end();
  if (token == j.end() || !token->is_string() || token->get<std::string>().empty())
    return bad_answer("an authentication", answer);
  token_ = token->get<std::string>();
  return caf::none;
}

caf::expected<std::optional<etcd_kv>> etcd_client::get(const std::string& key) {
  std::string answer;
  if (auto err = call("/v3/kv/range", json{{"key", base64(key)}}.dump(), answer)) return err;
  auto j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) return bad_answer("a read of " + key, answer);
  auto kvs = j.find("kvs");
  if (kvs == j.end() || !kvs->is_array() || kvs->empty()) return std::optional<etcd_kv>{};
  return std::optional<etcd_kv>{kv_of(kvs->front())};
}

caf::expected<std::vector<etcd_kv>> etcd_client::get_prefix(const std::string& prefix) {
  std::string answer;
  json body = {{"key", base64(prefix)}, {"range_end", base64(prefix_end(prefix))}};
  if (auto err = call("/v3/kv/range", body.dump(), answer)) return err;
  auto j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) return bad_answer("a read of " + prefix + "*", answer);
  std::vector<etcd_kv> out;
  auto kvs = j.find("kvs");
  if (kvs != j.end() && kvs->is_array())
    for (auto& kv : *kvs) out.push_back(kv_of(kv));
  return out;
}

caf::error etcd_client::put(const std::string& key, const std::string& value, int64_t lease) {
  std::string answer;
  return call("/v3/kv/put", put_op(key, value, lease)["request_put"].dump(), answer);
}

caf::error etcd_client::erase(const std::string& key) {
  std::string answer;
  return call("/v3/kv/deleterange", json{{"key", base64(key)}}.dump(), answer);
}

namespace {

caf::expected<bool> succeeded(const std::string& answer, const std::string& what) {
  auto j = json::parse(answer, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad_answer(what, answer);
  auto it = j.find("succeeded");
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace

caf::expected<bool> etcd_client::create(const std::string& key, const std::string& value,
                                        int64_t lease) {
  json txn = {{"compare", json::array({created_as(key, 0)})},
              {"success", json::array({put_op(key, value, lease)})}};
  std::string answer;
  if (auto err = call("/v3/kv/txn", txn.dump(), answer)) return err;
  return succeeded(answer, "the creation of " + key);
}

caf::expected<bool> etcd_client::erase_if_held(const std::string& key, const std::string& value,
                                               int64_t lease) {
  json compare = json::array({{{"key", base64(key)},
                               {"target", "VALUE"},
                               {"result", "EQUAL"},
                               {"value", base64(value)}}});
  if (lease)
    compare.push_back({{"key", base64(key)},
                       {"target", "LEASE"},
                       {"result", "EQUAL"},
                       {"lease", std::to_string(lease)}});
  json txn = {{"compare", compare},
              {"success", json::array({{{"request_delete_range", {{"key", base64(key)}}}}})}};
  std::string answer;
  if (auto err = call("/v3/kv/txn", txn.dump(), answer)) return err;
  return succeeded(answer, "the removal of " + key);
}

caf::expected<bool> etcd_client::put_if_created(const std::string& guard, int64_t guard_revision,
                                                const std::string& key,
                                                const std::string& value) {
  json txn = {{"compare", json::array({created_as(guard, guard_revision)})},
              {"success", json::array({put_op(key, value, 0)})}};
  std::string answer;
  if (auto err = call("/v3/kv/txn", txn.dump(), answer)) return err;
  return succeeded(answer, "the write of " + key);
}

caf::expected<bool> etcd_client::put_if_unchanged(const std::string& guard,
                                                  int64_t guard_revision,
                                                  const std::string& key, int64_t mod_revision,
                                                  const std::string& value) {
  json txn = {{"compare", json::array({created_as(guard, guard_revision),
                                       modified_at(key, mod_revision)})},
              {"success", json::array({put_op(key, value, 0)})}};
  std::string answer;
  if (auto err = call("/v3/kv/txn", txn.dump(), answer)) return err;
  return succeeded(answer, "the write of " + key);
}


caf::expected<bool> etcd_client::erase_if_created(const std::string& guard,
                                                  int64_t guard_revision,
                                                  const std::string& key) {
  json txn = {{"compare", json::array({created_as(guard, guard_revision)})},
              {"success", json::array({{{"request_delete_range", {{"key", base64(key)}}}}})}};
  std::string answer;
  if (auto err = call("/v3/kv/txn", txn.dump(), answer)) return err;
  return succeeded(answer, "the removal of " + key);
}

caf::expected<int64_t> etcd_client::grant(int64_t ttl_seconds) {
  std::string answer;
  if (auto err = call("/v3/lease/grant", json{{"TTL", ttl_seconds}}.dump(), answer)) return err;
  auto j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) return bad_answer("a lease grant", answer);
  auto id = int_field(j, "ID");
  if (id == 0) return bad_answer("a lease grant", answer);
  return id;
}

caf::expected<int64_t> etcd_client::keepalive(int64_t lease) {
  std::string answer;
  if (auto err = call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}.dump(), answer))
    return err;
  auto j = json::parse(answer, nullptr, false);
  if (j.is_discarded()) return bad_answer("a lease keepalive", answer);
  if (j.contains("error")) return bad_answer("a lease keepalive", answer);
  auto result = j.find("result");
  if (result == j.end()) return bad_answer("a lease keepalive", answer);
  // An expired lease comes back without a TTL.
  return int_field(*result, "TTL");
}

caf::expected<std::string> etcd_client::version() {
  std::string answer;
  bool refused_token = false;
  // Open to anyone, so no token: tells etcd from other servers before any login.
  if (auto err = call_once("/version", "", answer, refused_token)) return err;
  if (answer.find("etcdserver") == std::string::npos) return bad_answer("/version", answer);
  return answer;
}

caf::error etcd_client::revoke(int64_t lease) {
  std::string answer;
  return call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}}.dump(), answer);
}

}  // namespace dm
