#include "protocol/binlog/transaction_tracker.hpp"

#include <cctype>

#include "protocol/binlog/events.hpp"

namespace dm::binlog {

std::string first_keyword(std::string_view sql) {
  size_t i = 0;
  auto n = sql.size();
  for (;;) {
    while (i < n && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (i + 1 < n && sql[i] == '/' && sql[i + 1] == '*') {
      // "/*!40101 ... */" executable comments hold statements; plain comments are skipped.
      if (i + 2 < n && sql[i + 2] == '!') {
        i += 3;
        while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        continue;
      }
      auto end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return {};
      i = end + 2;
      continue;
    }
    if (i < n && (sql[i] == '#' || (sql[i] == '-' && i + 1 < n && sql[i + 1] == '-'))) {
      auto end = sql.find('\n', i);
      if (end == std::string_view::npos) return {};
      i = end + 1;
      continue;
    }
    break;
  }
  std::string word;
  while (i < n && (std::isalpha(static_cast<unsigned char>(sql[i])) || sql[i] == '_'))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
  return word;
}

caf::expected<transaction_tracker::outcome> transaction_tracker::observe(
    const event_view& ev, const format_description& fde) {
  outcome out;
  auto close = [&] {
    state_ = state::idle;
    out.at_boundary = true;
    out.closed_group = true;
  };
  switch (ev.header.type) {
    case event_type::mariadb_gtid: {
      auto g = decode_mariadb_gtid(ev);
      if (!g) return g.error();
      mariadb_ = g->gtid;
      mysql_uuid_.clear();
      gtid_ = to_string(g->gtid);
      state_ = g->standalone() ? state::single_statement : state::gtid_seen;
      return out;
    }
    case event_type::mysql_gtid:
    case event_type::mysql_anonymous_gtid: {
      auto g = decode_mysql_gtid(ev);
      if (!g) return g.error();
      mariadb_.reset();
      mysql_uuid_ = g->anonymous ? std::string{} : g->uuid;
      mysql_gno_ = g->gno;
      gtid_ = g->anonymous ? std::string{} : g->uuid + ":" + std::to_string(g->gno);
      // A MySQL group is either BEGIN ... COMMIT/XID or a single statement.
      state_ = state::single_statement;
      return out;
    }
    case event_type::query:
    case event_type::query_compressed: {
      auto q = decode_query(ev, fde);
      if (!q) return q.error();
      auto word = first_keyword(q->query);
      if (word == "BEGIN" || (word == "XA" && q->query.find("START") != std::string::npos)) {
        if (state_ == state::idle) {
          gtid_.clear();
          mariadb_.reset();
          mysql_uuid_.clear();
        }
        state_ = state::in_transaction;
        return out;
      }
      if (word == "COMMIT" || word == "ROLLBACK") {
        close();
        return out;
      }
      if (state_ == state::in_transaction) return out;  // e.g. statement-format DML
      if (state_ == state::gtid_seen) {
        // A MariaDB GTID without FL_STANDALONE is itself the BEGIN of a transaction.
        state_ = state::in_transaction;
        return out;
      }
      if (state_ == state::idle) {
        gtid_.clear();
        mariadb_.reset();
        mysql_uuid_.clear();
      }
      // A statement outside BEGIN ... COMMIT is a group of its own (DDL, XA COMMIT).
      close();
      return out;
    }
    case event_type::xid:
    case event_type::xa_prepare:
      close();
      return out;
    default:
      if (state_ == state::idle) {
        // Events outside groups: format description, rotate, GTID lists, checkpoints, ...
        out.at_boundary = true;
      } else if (state_ == state::gtid_seen) {
        // A MariaDB group's first event after its GTID is normally BEGIN (a query event); a
        // group may also start directly with rows when its BEGIN is implied.
        state_ = state::in_transaction;
      }
      return out;
  }
}

void transaction_tracker::add_closed_gtid(gtid_set& set) const {
  if (mariadb_) set.add(*mariadb_);
  else if (!mysql_uuid_.empty()) set.add_mysql(mysql_uuid_, mysql_gno_);
}

bool transaction_tracker::current_in(const gtid_set& set) const {
  if (mariadb_) return set.contains(*mariadb_);
  return !mysql_uuid_.empty() && set.contains_mysql(mysql_uuid_, mysql_gno_);
}

bool transaction_tracker::previous_in(const gtid_set& set) const {
  if (mariadb_) {
    auto before = *mariadb_;
    if (before.sequence <= 1) return true;  // the domain's first transaction
    --before.sequence;
    return set.contains(before);
  }
  if (mysql_uuid_.empty()) return false;
  return mysql_gno_ <= 1 || set.contains_mysql(mysql_uuid_, mysql_gno_ - 1);
}

void transaction_tracker::reset() {
  state_ = state::idle;
  gtid_.clear();
  mariadb_.reset();
  mysql_uuid_.clear();
}

}  // namespace dm::binlog
