// A deterministic random mixed workload for integration tests: three tables (auto-increment
// key, string key, composite key plus a unique key) with integers, decimals, strings with
// multi-byte characters, temporals and NULLs, changed by INSERT/UPDATE/DELETE in transactions of
// 1 to 10 statements.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "protocol/mysql_connection.hpp"

namespace dm::test {

class mixed_workload {
 public:
  mixed_workload(std::string db, uint64_t seed);

  // CREATE DATABASE and the three tables.
  std::string schema_sql() const;

  // Runs `changes` row-changing statements; throws std::runtime_error on a server error.
  void run(mysql_connection& conn, size_t changes);

 private:
  std::string statement();
  std::string random_text(size_t max_len);

  std::string db_;
  std::mt19937_64 rng_;
  uint64_t next_order_ = 1;
};

}  // namespace dm::test
