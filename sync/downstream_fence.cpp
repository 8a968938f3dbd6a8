#include "sync/downstream_fence.hpp"

#include "protocol/sql/quote.hpp"

namespace dm {

std::string raise_fence_sql(const meta_scope& scope, int64_t epoch) {
  std::string out = "INSERT INTO " + meta_table(scope.meta_schema, "fences") +
                    " (task, source, epoch) VALUES (";
  sql::append_escaped(out, scope.task);
  out += ',';
  sql::append_escaped(out, scope.source);
  out += ',' + std::to_string(epoch) +
         ") ON DUPLICATE KEY UPDATE epoch = GREATEST(epoch, VALUES(epoch))";
  return out;
}

std::string mark_fence_raised_sql(const meta_scope& scope, int64_t epoch) {
  return "UPDATE " + meta_table(scope.meta_schema, "fences") + " SET raised = NOW(6)" +
         scope_condition(scope) + " AND epoch = " + std::to_string(epoch);
}

std::string read_fence_sql(const meta_scope& scope, bool lock) {
  return "SELECT epoch FROM " + meta_table(scope.meta_schema, "fences") +
         scope_condition(scope) + (lock ? " LOCK IN SHARE MODE" : "");
}

}  // namespace dm
