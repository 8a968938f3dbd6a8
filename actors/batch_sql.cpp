#include "actors/batch_sql.hpp"

#include "protocol/sql/dml.hpp"

namespace dm {

namespace {

using binlog::cell_kind;
using binlog::rows_kind;

// Whether `row` has the same columns present as `first` (multi-row inserts need one list).
bool same_columns(const std::vector<binlog::cell>& first, const std::vector<binlog::cell>& row) {
  if (first.size() != row.size()) return false;
  for (size_t i = 0; i < row.size(); ++i)
    if ((first[i].kind == cell_kind::absent) != (row[i].kind == cell_kind::absent)) return false;
  return true;
}

}  // namespace

caf::expected<rendered_batch> render_batch(const job_batch& batch, bool force_safe,
                                           size_t max_statement_bytes) {
  rendered_batch out;
  auto emit = [&out](std::string& sql, size_t job_index) {
    out.statements.push_back(std::move(sql));
    out.first_job.push_back(job_index);
    sql.clear();
  };
  const auto& jobs = batch.jobs;
  size_t i = 0;
  while (i < jobs.size()) {
    const auto& job = jobs[i];
    bool safe = job.safe || force_safe;
    std::string sql;
    if (job.kind == rows_kind::write) {
      // Gather the run of inserts this one starts.
      std::vector<const sql::row_image*> rows{&job.after};
      size_t bytes = 0;
      size_t j = i + 1;
      for (; j < jobs.size(); ++j) {
        const auto& next = jobs[j];
        if (next.kind != rows_kind::write || next.target != job.target ||
            next.schema != job.schema || (next.safe || force_safe) != safe ||
            !same_columns(job.after, next.after) || bytes > max_statement_bytes)
          break;
        rows.push_back(&next.after);
        for (auto& c : next.after) bytes += c.text.size() + 8;
      }
      if (auto err = sql::append_insert(sql, job.target, *job.schema, rows, safe)) return err;
      emit(sql, i);
      i = j;
      continue;
    }
    if (job.kind == rows_kind::delete_) {
      if (auto err = sql::append_delete(sql, job.target, *job.schema, job.before)) return err;
    } else if (safe) {
      if (auto err = sql::append_delete(sql, job.target, *job.schema, job.before)) return err;
      emit(sql, i);
      if (auto err = sql::append_insert(sql, job.target, *job.schema, {&job.after}, true))
        return err;
    } else {
      if (auto err = sql::append_update(sql, job.target, *job.schema, job.before, job.after))
        return err;
    }
    emit(sql, i);
    ++i;
  }
  return out;
}

}  // namespace dm
