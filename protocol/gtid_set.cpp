#include "protocol/gtid_set.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/error.hpp"

namespace dm {

namespace {

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), out);
  return err == std::errc{} && ptr == text.data() + text.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    auto end = s.find(sep, start);
    parts.push_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

void insert_interval(std::vector<std::pair<uint64_t, uint64_t>>& v, uint64_t first,
                     uint64_t last) {
  v.emplace_back(first, last);
  std::sort(v.begin(), v.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (auto& iv : v) {
    if (!merged.empty() && iv.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, iv.second);
    else
      merged.push_back(iv);
  }
  v.swap(merged);
}

}  // namespace

caf::expected<gtid_set> gtid_set::parse(std::string_view text) {
  gtid_set result;
  auto bad = [&](const std::string& why) {
    return make_error(ec::invalid_argument,
                      "GTID set '" + std::string{text} + "' is invalid: " + why);
  };
  auto body = trim(text);
  if (body.empty()) return result;
  for (auto item : split(body, ',')) {
    item = trim(item);
    if (item.empty()) return bad("empty element");
    if (item.find(':') != std::string_view::npos) {
      auto parts = split(item, ':');
      std::string uuid{trim(parts[0])};
      std::transform(uuid.begin(), uuid.end(), uuid.begin(), ::tolower);
      if (!is_uuid(uuid)) return bad("'" + uuid + "' is not a server UUID");
      if (result.flavor_ == flavor::mariadb) return bad("mixes MariaDB and MySQL GTIDs");
      result.flavor_ = flavor::mysql;
      auto& intervals = result.mysql_[uuid];
      for (size_t i = 1; i < parts.size(); ++i) {
        auto range = split(trim(parts[i]), '-');
        uint64_t first = 0, last = 0;
        if (range.size() > 2 || !parse_number(range[0], first) ||
            (range.size() == 2 && !parse_number(range[1], last)))
          return bad("interval '" + std::string{parts[i]} + "' is not N or N-M");
        if (range.size() == 1) last = first;
        if (first == 0 || last < first) return bad("interval must be 1 <= N <= M");
        insert_interval(intervals, first, last);
      }
    } else {
      auto parts = split(item, '-');
      mariadb_gtid g;
      if (parts.size() != 3 || !parse_number(parts[0], g.domain_id) ||
          !parse_number(parts[1], g.server_id) || !parse_number(parts[2], g.sequence))
        return bad("'" + std::string{item} + "' is not domain-server-sequence");
      if (result.flavor_ == flavor::mysql) return bad("mixes MariaDB and MySQL GTIDs");
      if (result.mariadb_.count(g.domain_id)) return bad("domain repeated");
      result.add(g);
    }
  }
  return result;
}

void gtid_set::add(const mariadb_gtid& gtid) {
  flavor_ = flavor::mariadb;
  mariadb_[gtid.domain_id] = {gtid.server_id, gtid.sequence};
}

void gtid_set::add_mysql(const std::string& uuid, uint64_t gno) {
  flavor_ = flavor::mysql;
  auto& intervals = mysql_[uuid];
  // Fast path: the next transaction of the newest interval, the common case while streaming.
  if (!intervals.empty() && intervals.back().second + 1 == gno) {
    intervals.back().second = gno;
    return;
  }
  insert_interval(intervals, gno, gno);
}

void gtid_set::add_mysql_interval(const std::string& uuid, uint64_t first, uint64_t last) {
  flavor_ = flavor::mysql;
  insert_interval(mysql_[uuid], first, last);
}

bool gtid_set::contains(const mariadb_gtid& gtid) const {
  auto i = mariadb_.find(gtid.domain_id);
  return i != mariadb_.end() && gtid.sequence <= i->second.second;
}

bool gtid_set::contains_mysql(const std::string& uuid, uint64_t gno) const {
  auto i = mysql_.find(uuid);
  if (i == mysql_.end()) return false;
  for (auto& iv : i->second)
    if (gno >= iv.first && gno <= iv.second) return true;
  return false;
}

std::string gtid_set::to_string() const {
  std::string out;
  if (flavor_ == flavor::mariadb) {
    for (auto& [domain, last] : mariadb_) {
      if (!out.empty()) out += ',';
      out += dm::to_string(mariadb_gtid{domain, last.first, last.second});
    }
  } else if (flavor_ == flavor::mysql) {
    for (auto& [uuid, intervals] : mysql_) {
      if (!out.empty()) out += ',';
      out += uuid;
      for (auto& iv : intervals) {
        out += ':';
        out += std::to_string(iv.first);
        if (iv.second != iv.first) out += '-' + std::to_string(iv.second);
      }
    }
  }
  return out;
}

std::vector<mariadb_gtid> gtid_set::mariadb_gtids() const {
  std::vector<mariadb_gtid> out;
  for (auto& [domain, last] : mariadb_) out.push_back({domain, last.first, last.second});
  return out;
}

std::string gtid_set::mysql_binary() const {
  auto le = [](std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  std::string out;
  le(out, mysql_.size());
  for (auto& [uuid, intervals] : mysql_) {
    for (size_t i = 0; i + 1 < uuid.size(); i += 2) {
      if (uuid[i] == '-') ++i;
      out += static_cast<char>(std::stoi(uuid.substr(i, 2), nullptr, 16));
    }
    le(out, intervals.size());
    for (auto& [first, last] : intervals) {
      le(out, first);
      le(out, last + 1);
    }
  }
  return out;
}

std::string to_string(const mariadb_gtid& x) {
  return std::to_string(x.domain_id) + "-" + std::to_string(x.server_id) + "-" +
         std::to_string(x.sequence);
}

}  // namespace dm
