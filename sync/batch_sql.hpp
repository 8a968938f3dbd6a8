// Turns a batch of row jobs into the SQL of one downstream transaction. Pure logic, no CAF.
//
// Consecutive inserts into the same table with the same columns become one multi-row INSERT
// (REPLACE in safe mode); updates and deletes address one row each by its identity key. Order
// is kept, so the statements have the effect of applying the jobs one by one.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "model/messages.hpp"

namespace dm {

// The SQL of one batch: `statements[i]` was rendered from `batch.jobs[first_job[i]]` (and, for
// a multi-row insert, the jobs after it), so a failing statement can be traced to its event.
struct rendered_batch {
  std::vector<std::string> statements;
  std::vector<size_t> first_job;
};

// The statements of `batch`, each at most about `max_statement_bytes` long (a multi-row insert
// is split there). `force_safe` writes every job in safe mode (used when a batch is retried and
// may have committed already), except the jobs of serial groups (apply_marks.hpp).
caf::expected<rendered_batch> render_batch(const job_batch& batch, bool force_safe,
                                           size_t max_statement_bytes);

}  // namespace dm
