// A deterministic random workload over every column type the decoder handles, with schema
// changes in between, for syncer tests. Three tables:
//   alltypes  primary key `id`, one column of every type (more than 64 columns in all),
//   nokey     no primary or unique key (exact duplicate rows happen),
//   cuk       only a composite unique key over three NOT NULL columns.
// The workload keeps a model of each table's columns, so its statements stay valid across the
// schema changes of its plan (ADD/DROP COLUMN, ADD/DROP INDEX, MODIFY, RENAME TABLE, TRUNCATE,
// CREATE/DROP DATABASE).
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "protocol/mysql_connection.hpp"

namespace dm::test {

class typed_workload {
 public:
  typed_workload(std::string db, uint64_t seed);
  // Its value generators refer to it: not copyable or movable.
  typed_workload(const typed_workload&) = delete;
  typed_workload& operator=(const typed_workload&) = delete;

  // CREATE DATABASE and the three tables.
  std::string schema_sql() const;

  // Runs `changes` row-changing statements in transactions of 1 to 5; throws
  // std::runtime_error on a server error.
  void run(mysql_connection& conn, size_t changes);

  // Applies the next schema change of the plan and returns a description of it; empty when the
  // plan is done. Throws std::runtime_error on a server error.
  std::string next_schema_change(mysql_connection& conn);

  // Databases the plan creates and keeps (besides the main one), and those it drops again.
  std::vector<std::string> kept_databases() const { return {db_ + "_extra"}; }
  std::vector<std::string> dropped_databases() const { return {db_ + "_tmp"}; }

 private:
  using generator = std::function<std::string()>;
  struct column {
    std::string name;
    std::string type;
    generator value;
  };
  enum class table_kind { primary_key, no_key, composite_unique };
  struct table {
    std::string name;
    table_kind kind;
    std::vector<column> columns;
    int64_t next_id = 1;
  };

  std::string statement();
  std::string insert(table& t);
  std::string update(table& t);
  std::string remove(table& t);
  std::string where_of(table& t);
  std::string assignments(table& t, size_t how_many);
  std::vector<column> all_type_columns();
  column& find(table& t, const std::string& name);

  // Value generators.
  int64_t range(int64_t lo, int64_t hi);
  bool chance(int percent);
  generator nullable(generator g, int null_percent = 10);
  generator integer(int64_t lo, int64_t hi);
  generator unsigned_integer(uint64_t hi);
  generator text(size_t max_chars, bool latin1 = false);
  generator bytes(size_t max_len);
  std::string quoted(const std::string& s);

  std::string db_;
  std::mt19937_64 rng_;
  std::vector<table> tables_;
  size_t plan_step_ = 0;
};

}  // namespace dm::test
