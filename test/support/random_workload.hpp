// A deterministic random workload for replication tests: random schemas over several databases
// (case-only name pairs of databases and tables, every column type, every kind of key, foreign
// key chains of up to three levels with CASCADE / SET NULL / RESTRICT), then a random stream of
// row changes and of schema changes, some of them made under non-default session settings
// (SET NAMES latin1, collation_server, sql_mode, time_zone, timestamp).
//
// The workload keeps a model of the schema (databases, tables, columns, keys, foreign keys), not
// of the rows: statements are generated valid for the schema and draw key values from small
// domains, so most of them change something. A statement the server refuses (duplicate key,
// foreign key violation, a schema change the model did not foresee) is skipped and counted by its
// error number; the model changes only when a schema change succeeded. The same seed gives the
// same statements as long as the server accepts and refuses the same ones.
//
// Not thread-safe: one thread drives one workload.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/mysql_connection.hpp"

namespace dm::test {

// Thrown by the workload when the connection to the server is lost (the statement may or may
// not have happened); the caller reconnects and goes on with a new connection.
struct connection_lost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct random_workload_counts {
  // Row-changing statements the server accepted (including those that matched no row), and
  // those it refused.
  uint64_t statements = 0;
  uint64_t refused = 0;
  uint64_t transactions = 0;
  uint64_t rollbacks = 0;
  // Schema changes applied and refused.
  uint64_t ddl = 0;
  uint64_t ddl_refused = 0;
  // Server error number -> how often, and one message for each.
  std::map<unsigned, uint64_t> refusals;
  std::map<unsigned, std::string> refusal_examples;
};

class random_workload {
 public:
  explicit random_workload(uint64_t seed);
  ~random_workload();
  random_workload(const random_workload&) = delete;
  random_workload& operator=(const random_workload&) = delete;

  uint64_t seed() const { return seed_; }

  // The statements that create the initial databases and tables, in order.
  std::vector<std::string> schema_sql() const;
  // Runs schema_sql() on `conn`; throws std::runtime_error when the server refuses one (a bug
  // of the generator).
  void create_schema(mysql_connection& conn);
  // Inserts about `rows` rows in all, parents before children, in multi-row INSERT IGNOREs;
  // `large_tables` tables get at least a quarter of them each.
  void populate(mysql_connection& conn, size_t rows, size_t large_tables = 2);

  // Runs `statements` row-changing statements in transactions of 1 to 10 (some rolled back).
  // Throws connection_lost when the connection breaks.
  void run_dml(mysql_connection& conn, size_t statements);

  // Applies one random schema change (possibly under non-default session settings, which are
  // reset afterwards) and returns a description of it with its SQL; a refused change is
  // described as such and leaves the model unchanged. Throws connection_lost.
  std::string run_ddl(mysql_connection& conn);

  // The databases the workload created (and has not dropped): compare these.
  std::vector<std::string> databases() const;
  // Tables in the model now, as db.table.
  std::vector<std::string> tables() const;

  const random_workload_counts& counts() const { return counts_; }

  struct model;

 private:
  uint64_t seed_;
  std::unique_ptr<model> model_;
  random_workload_counts counts_;
};

}  // namespace dm::test
