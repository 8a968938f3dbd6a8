#include "test/support/workload.hpp"

#include <stdexcept>

#include "common/error.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::test {

mixed_workload::mixed_workload(std::string db, uint64_t seed) : db_(std::move(db)), rng_(seed) {}

std::string mixed_workload::schema_sql() const {
  auto d = "`" + db_ + "`";
  return "CREATE DATABASE " + d + ";" +
         "CREATE TABLE " + d + ".orders (id INT AUTO_INCREMENT PRIMARY KEY, customer "
         "VARCHAR(64) NOT NULL, amount DECIMAL(12,2), created DATETIME(6), note TEXT, flag "
         "TINYINT, big BIGINT UNSIGNED) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;" +
         "CREATE TABLE " + d + ".accounts (name VARCHAR(32) NOT NULL PRIMARY KEY, balance "
         "DECIMAL(20,4) NOT NULL, updated TIMESTAMP(3) NULL, birthday DATE, t TIME(2), maybe INT "
         "NULL, ratio DOUBLE) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;" +
         "CREATE TABLE " + d + ".events (a INT NOT NULL, b BIGINT NOT NULL, c CHAR(8) NOT NULL, "
         "payload VARBINARY(64), PRIMARY KEY (a, b), UNIQUE KEY uk_c (c)) ENGINE=InnoDB "
         "DEFAULT CHARSET=latin1";
}

std::string mixed_workload::random_text(size_t max_len) {
  static const char* pieces[] = {"a", "b", "z", "Q", " ", "é", "ß", "中", "😀", "'", "\\", "\"",
                                 "0", "9", "_", "%"};
  std::uniform_int_distribution<size_t> len(0, max_len), pick(0, 15);
  std::string s;
  auto n = len(rng_);
  for (size_t i = 0; i < n; ++i) {
    std::string p = pieces[pick(rng_)];
    if (s.size() + p.size() > max_len * 2) break;
    s += p;
  }
  return s;
}

std::string mixed_workload::statement() {
  auto d = "`" + db_ + "`";
  std::uniform_int_distribution<int> pct(0, 99), table(0, 2);
  std::uniform_int_distribution<int64_t> money(-99999999, 99999999), small(-128, 127);
  std::uniform_int_distribution<uint64_t> big(0, UINT64_MAX);
  std::uniform_int_distribution<int> acct(0, 1999), ev_a(0, 300), ev_b(0, 20), ev_c(0, 4000);
  auto dec = [&](int64_t v, int scale) {
    std::string s = std::to_string(v < 0 ? -v : v);
    while (s.size() <= static_cast<size_t>(scale)) s = "0" + s;
    return (v < 0 ? "-" : "") + s.substr(0, s.size() - scale) + "." + s.substr(s.size() - scale);
  };
  auto quoted = [&](const std::string& t) {
    std::string out;
    sql::append_escaped(out, t);
    return out;
  };
  auto maybe_null = [&](const std::string& v) { return pct(rng_) < 15 ? std::string{"NULL"} : v; };
  int op = pct(rng_);
  switch (table(rng_)) {
    case 0: {
      if (op < 60 || next_order_ < 10) {
        ++next_order_;
        return "INSERT INTO " + d + ".orders (customer, amount, created, note, flag, big) VALUES (" +
               quoted(random_text(20)) + ", " + maybe_null(dec(money(rng_), 2)) + ", " +
               maybe_null("'2024-0" + std::to_string(1 + pct(rng_) % 9) + "-1" +
                          std::to_string(pct(rng_) % 10) + " 12:34:56." +
                          std::to_string(100000 + pct(rng_) * 1234) + "'") +
               ", " + maybe_null(quoted(random_text(200))) + ", " +
               std::to_string(small(rng_)) + ", " + std::to_string(big(rng_)) + ")";
      }
      std::uniform_int_distribution<uint64_t> id(1, next_order_);
      auto key = id(rng_);
      if (op < 85)
        return "UPDATE " + d + ".orders SET amount = " + maybe_null(dec(money(rng_), 2)) +
               ", note = " + maybe_null(quoted(random_text(50))) + " WHERE id BETWEEN " +
               std::to_string(key) + " AND " + std::to_string(key + pct(rng_) % 3);
      return "DELETE FROM " + d + ".orders WHERE id = " + std::to_string(key);
    }
    case 1: {
      auto name = quoted("acct-" + std::to_string(acct(rng_)) + (pct(rng_) < 20 ? "-é" : ""));
      if (op < 60)
        return "INSERT INTO " + d + ".accounts VALUES (" + name + ", " + dec(money(rng_), 4) +
               ", " + maybe_null("'2023-05-0" + std::to_string(1 + pct(rng_) % 9) +
                                 " 01:02:03." + std::to_string(100 + pct(rng_)) + "'") +
               ", " + maybe_null("'1990-12-3" + std::to_string(pct(rng_) % 2) + "'") + ", " +
               maybe_null("'-" + std::to_string(pct(rng_)) + ":59:58.25'") + ", " +
               maybe_null(std::to_string(small(rng_))) + ", " +
               maybe_null(std::to_string(money(rng_) / 7.0)) +
               ") ON DUPLICATE KEY UPDATE balance = balance + 1.5, maybe = NULL";
      if (op < 85)
        return "UPDATE " + d + ".accounts SET balance = " + dec(money(rng_), 4) +
               ", t = '12:00:00.5' WHERE name = " + name;
      return "DELETE FROM " + d + ".accounts WHERE name = " + name;
    }
    default: {
      auto a = std::to_string(ev_a(rng_)), b = std::to_string(ev_b(rng_));
      auto c = quoted("c" + std::to_string(ev_c(rng_)));
      if (op < 60)
        return "INSERT IGNORE INTO " + d + ".events VALUES (" + a + ", " + b + ", " + c + ", " +
               maybe_null("UNHEX('00FF" + std::to_string(1000 + pct(rng_)) + "27')") + ")";
      if (op < 85)
        return "UPDATE IGNORE " + d + ".events SET c = " + c + ", b = b + 1 WHERE a = " + a;
      return "DELETE FROM " + d + ".events WHERE a = " + a + " AND b <= " + b;
    }
  }
}

void mixed_workload::run(mysql_connection& conn, size_t changes) {
  std::uniform_int_distribution<size_t> txn(1, 10);
  size_t done = 0;
  while (done < changes) {
    auto n = std::min(txn(rng_), changes - done);
    std::string sql = "BEGIN";
    for (size_t i = 0; i < n; ++i) sql += ";" + statement();
    sql += ";COMMIT";
    if (auto err = conn.execute(sql)) throw std::runtime_error("workload: " + describe(err));
    done += n;
  }
}

}  // namespace dm::test
