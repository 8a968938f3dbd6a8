#include "app/config/yaml_map.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include "common/error.hpp"

namespace dm::config {

namespace {

caf::error config_error(const std::string& text) { return make_error(ec::invalid_config, text); }

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

// Records each key that appears twice in one mapping, anywhere under `node`.
void find_duplicate_keys(const YAML::Node& node, const std::string& file, problem_list& problems) {
  if (node.IsSequence())
    for (const auto& item : node) find_duplicate_keys(item, file, problems);
  if (!node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar()) {
      int line = it->first.Mark().line + 1;
      auto [seen, inserted] = first_line.emplace(it->first.Scalar(), line);
      if (!inserted)
        problems.add(file + ": line " + std::to_string(line) + ": key '" + it->first.Scalar() +
                     "' is given twice in one mapping (first at line " +
                     std::to_string(seen->second) + "); keep one");
    }
    find_duplicate_keys(it->second, file, problems);
  }
}

}  // namespace

yaml_map::yaml_map(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

std::string yaml_map::where(const std::string& key) const {
  std::string out = file_ + ": ";
  if (!path_.empty()) out += path_ + (key.empty() ? "" : ".");
  out += key;
  return out;
}

caf::error yaml_map::expect_map() const {
  if (!node_ || node_.IsNull() || node_.IsMap()) return caf::none;
  return config_error(file_ + ": " + (path_.empty() ? std::string{"the document"} : path_) +
                      " must be a mapping of keys to values");
}

caf::error yaml_map::check_keys(std::initializer_list<const char*> known,
                                std::initializer_list<unsupported_key> unsupported) const {
  if (auto err = expect_map()) return err;
  if (!node_ || node_.IsNull()) return caf::none;
  problem_list problems;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    auto key = it->first.IsScalar() ? it->first.Scalar() : std::string{"(non-scalar key)"};
    auto is = [&](const char* k) { return key == k; };
    if (std::any_of(known.begin(), known.end(), is)) continue;
    auto u = std::find_if(unsupported.begin(), unsupported.end(),
                          [&](const unsupported_key& u) { return key == u.key; });
    if (u != unsupported.end()) {
      problems.add(where(key) + " is a DM key that dm-worker does not support: " + u->reason);
      continue;
    }
    std::string list;
    for (auto* k : known) list += list.empty() ? k : std::string{", "} + k;
    problems.add(where(key) + " is not a known key; known keys here: " + list);
  }
  return problems.result();
}

caf::error yaml_map::take_tolerated(std::initializer_list<tolerated_key> tolerated,
                                    std::vector<std::string>& warnings) {
  if (auto err = expect_map()) return err;
  if (!node_ || node_.IsNull()) return caf::none;
  problem_list problems;
  for (const auto& t : tolerated) {
    if (!node_[t.key]) continue;
    auto value = node_[t.key];
    std::string text = value.IsScalar() ? value.Scalar() : value.IsNull() ? "" : "(a structure)";
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    bool off = false;
    if (t.off_values != nullptr) {
      std::string list = std::string{t.off_values} + "|";
      for (size_t start = 0, bar; (bar = list.find('|', start)) != std::string::npos;
           start = bar + 1)
        off = off || list.compare(start, bar - start, text) == 0;
    }
    if (!off && t.refused_otherwise)
      problems.add(where(t.key) + ": '" + text + "' is not supported: " + t.why +
                   (t.off_values ? std::string{"; remove the key"} : std::string{}));
    else if (!off)
      warnings.push_back(where(t.key) + " has no effect here: " + t.why);
    while (node_.remove(t.key)) {
    }
  }
  return problems.result();
}

bool yaml_map::has(const char* key) const {
  return node_ && node_.IsMap() && node_[key] && !node_[key].IsNull();
}

caf::error yaml_map::bad_value(const char* key, const std::string& expected) const {
  return config_error(where(key) + " must be " + expected + ", got '" +
                      scalar_text(node_[key]) + "'");
}

caf::error yaml_map::read(const char* key, std::string& out, bool required) const {
  if (!has(key)) return required ? config_error(where(key) + " is required") : caf::none;
  auto n = node_[key];
  if (!n.IsScalar()) return bad_value(key, "a string");
  out = n.Scalar();
  return caf::none;
}

caf::error yaml_map::read(const char* key, bool& out) const {
  if (!has(key)) return caf::none;
  auto n = node_[key];
  if (!n.IsScalar()) return bad_value(key, "true or false");
  auto v = n.Scalar();
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  if (v == "true" || v == "yes" || v == "on") out = true;
  else if (v == "false" || v == "no" || v == "off") out = false;
  else return bad_value(key, "true or false");
  return caf::none;
}

template <class T>
caf::error yaml_map::read_integer(const char* key, T& out, long long min, long long max) const {
  if (!has(key)) return caf::none;
  auto n = node_[key];
  auto range = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
  if (!n.IsScalar()) return bad_value(key, range);
  const auto& text = n.Scalar();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < min || v > max)
    return bad_value(key, range);
  out = static_cast<T>(v);
  return caf::none;
}

caf::error yaml_map::read(const char* key, uint16_t& out, uint16_t min) const {
  return read_integer(key, out, min, std::numeric_limits<uint16_t>::max());
}

caf::error yaml_map::read(const char* key, uint32_t& out, uint32_t min) const {
  return read_integer(key, out, min, std::numeric_limits<uint32_t>::max());
}

caf::error yaml_map::read(const char* key, int64_t& out, int64_t min) const {
  return read_integer(key, out, min, std::numeric_limits<int64_t>::max());
}

caf::error yaml_map::read_duration(const char* key, int64_t& out_ms) const {
  if (!has(key)) return caf::none;
  auto n = node_[key];
  auto expected = std::string{"a duration like 5m0s, 30s or 200ms"};
  if (!n.IsScalar()) return bad_value(key, expected);
  auto text = n.Scalar();
  static const std::pair<const char*, double> units[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"\u00b5s", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 60e3},
      {"h", 3600e3}};
  double total = 0;
  size_t at = 0;
  if (text == "0") at = text.size();
  while (at < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[at])) && text[at] != '.')
      return bad_value(key, expected);
    char* end = nullptr;
    errno = 0;
    double number = std::strtod(text.c_str() + at, &end);
    size_t after = static_cast<size_t>(end - text.c_str());
    if (after == at || errno == ERANGE) return bad_value(key, expected);
    at = after;
    const std::pair<const char*, double>* unit = nullptr;
    for (const auto& u : units)
      if (text.compare(at, std::strlen(u.first), u.first) == 0 &&
          (!unit || std::strlen(u.first) > std::strlen(unit->first)))
        unit = &u;
    if (!unit) return bad_value(key, expected);
    at += std::strlen(unit->first);
    total += number * unit->second;
  }
  if (text.empty() || total > 1e15) return bad_value(key, expected);
  out_ms = static_cast<int64_t>(total);
  return caf::none;
}

caf::error yaml_map::read(const char* key, std::vector<std::string>& out) const {
  if (!has(key)) return caf::none;
  auto n = node_[key];
  if (n.IsScalar()) {
    out = {n.Scalar()};
    return caf::none;
  }
  if (!n.IsSequence()) return bad_value(key, "a list of strings");
  out.clear();
  for (size_t i = 0; i < n.size(); ++i) {
    if (!n[i].IsScalar()) return bad_value(key, "a list of strings");
    out.push_back(n[i].Scalar());
  }
  return caf::none;
}

caf::expected<yaml_map> yaml_map::child(const char* key) const {
  auto sub_path = path_.empty() ? std::string{key} : path_ + "." + key;
  yaml_map sub{has(key) ? node_[key] : YAML::Node{}, file_, sub_path};
  if (auto err = sub.expect_map()) return err;
  return sub;
}

caf::expected<std::vector<yaml_map>> yaml_map::child_list(const char* key) const {
  std::vector<yaml_map> out;
  if (!has(key)) return out;
  auto n = node_[key];
  if (!n.IsSequence()) return bad_value(key, "a list of mappings");
  auto base = path_.empty() ? std::string{key} : path_ + "." + key;
  for (size_t i = 0; i < n.size(); ++i) {
    yaml_map item{n[i], file_, base + "[" + std::to_string(i) + "]"};
    if (!n[i].IsMap())
      return config_error(file_ + ": " + base + "[" + std::to_string(i) + "] must be a mapping");
    out.push_back(std::move(item));
  }
  return out;
}

caf::expected<std::vector<std::pair<std::string, std::string>>> yaml_map::scalar_entries() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (auto err = expect_map()) return err;
  if (!node_ || node_.IsNull()) return out;
  problem_list problems;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    auto key = it->first.Scalar();
    if (it->second.IsScalar()) out.emplace_back(key, it->second.Scalar());
    else problems.add(where(key) + " must be a single value, got " + scalar_text(it->second));
  }
  if (auto err = problems.result()) return err;
  return out;
}

caf::expected<std::vector<std::pair<std::string, yaml_map>>> yaml_map::named_children(
    const char* key) const {
  std::vector<std::pair<std::string, yaml_map>> out;
  auto holder = child(key);
  if (!holder) return holder.error();
  if (!has(key)) return out;
  auto base = path_.empty() ? std::string{key} : path_ + "." + key;
  for (auto it = node_[key].begin(); it != node_[key].end(); ++it) {
    auto name = it->first.Scalar();
    yaml_map item{it->second, file_, base + "." + name};
    if (auto err = item.expect_map()) return err;
    out.emplace_back(name, std::move(item));
  }
  return out;
}

caf::expected<yaml_map> parse_yaml_document(const std::string& text, const std::string& file,
                                            problem_list& problems) {
  try {
    auto root = YAML::Load(text);
    yaml_map doc{root, file, ""};
    if (auto err = doc.expect_map()) return err;
    if (!root || root.IsNull()) return config_error(file + ": the file is empty");
    find_duplicate_keys(root, file, problems);
    return doc;
  } catch (const YAML::Exception& e) {
    return config_error(file + ": invalid YAML at line " + std::to_string(e.mark.line + 1) +
                        ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
}

caf::error check_name(const std::string& id, const std::string& where) {
  bool ok = !id.empty() && id.size() <= 64 &&
            std::all_of(id.begin(), id.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                     c == '.';
            });
  if (ok) return caf::none;
  return config_error(where + " '" + id +
                      "' must be 1 to 64 characters of letters, digits, '_', '-' or '.'");
}

}  // namespace dm::config
