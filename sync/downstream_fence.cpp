#include "sync/downstream_fence.hpp"

#include "protocol/sql/quote.hpp"

namespace dm {

int32_t fence_slot(int32_t writer) {
  return ((writer % fence_slots) + fence_slots) % fence_slots;
}

std::string raise_fence_sql(const meta_scope& scope, int64_t epoch) {
  std::string key;
  sql::append_escaped(key, scope.task);
  key += ',';
  sql::append_escaped(key, scope.source);
  std::string out = "INSERT INTO " + meta_table(scope.meta_schema, "fence_slots") +
                    " (task, source, slot, epoch) VALUES ";
  for (int32_t slot = 0; slot < fence_slots; ++slot)
    out += (slot ? ",(" : "(") + key + ',' + std::to_string(slot) + ',' +
           std::to_string(epoch) + ')';
  return out + " ON DUPLICATE KEY UPDATE epoch = GREATEST(epoch, VALUES(epoch))";
}

std::string mark_fence_raised_sql(const meta_scope& scope, int64_t epoch) {
  return "UPDATE " + meta_table(scope.meta_schema, "fence_slots") + " SET raised = NOW(6)" +
         scope_condition(scope) + " AND epoch = " + std::to_string(epoch);
}

std::string read_fence_sql(const meta_scope& scope, int32_t writer, bool lock) {
  return "SELECT epoch FROM " + meta_table(scope.meta_schema, "fence_slots") +
         scope_condition(scope) + " AND slot = " + std::to_string(fence_slot(writer)) +
         (lock ? " FOR UPDATE" : "");
}

}  // namespace dm
