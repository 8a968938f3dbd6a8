#include "sync/batch_sql.hpp"

#include <unordered_map>

#include "sync/causality.hpp"
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

bool full_image(const std::vector<binlog::cell>& image) {
  for (auto& c : image)
    if (c.kind == cell_kind::absent) return false;
  return true;
}

// Changes to different rows of a table commute when the identity key is its only unique key:
// then a batch's changes to such a table can be reduced to one net change per row and written
// as a few multi-row statements.
bool commutes_by_key(const table_schema& s) {
  if (!s.primary_key.empty()) return s.unique_keys.empty();
  return s.unique_keys.size() == 1 && s.not_null_unique_keys.size() == 1;
}

size_t image_bytes(const std::vector<binlog::cell>& image) {
  size_t n = 0;
  for (auto& c : image) n += c.text.size() + 8;
  return n;
}

class batch_renderer {
 public:
  batch_renderer(const job_batch& batch, bool force_safe, size_t max_statement_bytes)
      : jobs_(batch.jobs), force_safe_(force_safe), max_bytes_(max_statement_bytes) {}

  caf::expected<rendered_batch> render() {
    std::vector<size_t> in_order;
    std::vector<table_changes*> compacted;
    plan(in_order, compacted);
    if (auto err = render_in_order(in_order)) return err;
    for (auto* t : compacted)
      if (auto err = render_compacted(*t)) return err;
    return std::move(out_);
  }

 private:
  // The net change to one row within the batch: none (it did not exist before and does not
  // after), insert (it did not exist before), upsert (it existed and ends as `image`), remove
  // (it existed and is gone; `image` holds its key).
  enum class net { none, insert, upsert, remove };
  enum class op { insert, update, remove };
  struct row_change {
    net kind = net::none;
    // The key's bytes: rows whose folded keys match but whose bytes differ may or may not be
    // one row downstream, so such a batch is written in order instead.
    std::string exact_key;
    const sql::row_image* image = nullptr;
    size_t first_job = 0;
    bool safe = false;
  };
  struct table_changes {
    const row_job* sample = nullptr;
    std::vector<size_t> jobs;
    bool compactable = true;
    // Net changes by folded key, and the keys in order of first appearance.
    std::unordered_map<std::string, row_change> rows;
    std::vector<std::string> order;
  };

  // Whether `job` is written in safe mode: as the syncer says, or all of a retried batch; never
  // a serial group's job, whose exactly-once marks say what was applied (apply_marks.hpp).
  bool safe_for(const row_job& job) const {
    return !job.serial_group && (job.safe || force_safe_);
  }

  void emit(std::string& sql, size_t job_index) {
    out_.statements.push_back(std::move(sql));
    out_.first_job.push_back(job_index);
    sql.clear();
  }

  // Splits the batch: jobs of tables whose changes commute by key are reduced to net changes;
  // the rest keep their order.
  void plan(std::vector<size_t>& in_order, std::vector<table_changes*>& compacted) {
    std::vector<std::string> table_order;
    for (size_t i = 0; i < jobs_.size(); ++i) {
      auto& job = jobs_[i];
      auto [it, fresh] = tables_.try_emplace(job.target);
      auto& t = it->second;
      if (fresh) {
        t.sample = &job;
        // Foreign-key tables keep binlog order: their cascades and checks see each step.
        t.compactable = commutes_by_key(*job.schema) && !job.fk_table;
        table_order.push_back(job.target);
      }
      t.jobs.push_back(i);
      if (t.compactable && (job.schema != t.sample->schema || !apply(t, i))) t.compactable = false;
    }
    for (auto& name : table_order) {
      auto& t = tables_.at(name);
      if (t.compactable) compacted.push_back(&t);
    }
    for (size_t i = 0; i < jobs_.size(); ++i)
      if (!tables_.at(jobs_[i].target).compactable) in_order.push_back(i);
  }

  // Folds job `i` into its table's net changes; false when the job cannot be folded (a partial
  // image, a missing key, keys that may or may not be the same row, or a sequence the upstream
  // could not have produced).
  bool apply(table_changes& t, size_t i) {
    auto& job = jobs_[i];
    bool safe = safe_for(job);
    switch (job.kind) {
      case rows_kind::write:
        return full_image(job.after) && change(t, i, op::insert, job.after, safe);
      case rows_kind::delete_:
        return full_image(job.before) && change(t, i, op::remove, job.before, safe);
      case rows_kind::update: {
        if (!full_image(job.before) || !full_image(job.after)) return false;
        if (identity_key_value(*job.schema, job.before, true) ==
            identity_key_value(*job.schema, job.after, true))
          return change(t, i, op::update, job.after, safe);
        // The key's bytes change to ones that may or may not be the same key downstream.
        if (identity_key_value(*job.schema, job.before) ==
            identity_key_value(*job.schema, job.after))
          return false;
        // The key changes: the old row goes, a new one comes.
        return change(t, i, op::remove, job.before, safe) &&
               change(t, i, op::insert, job.after, safe);
      }
    }
    return false;
  }

  bool change(table_changes& t, size_t i, op o, const sql::row_image& image, bool safe) {
    auto key = identity_key_value(*jobs_[i].schema, image);
    if (key.empty()) return false;
    auto exact = identity_key_value(*jobs_[i].schema, image, true);
    auto [it, fresh] = t.rows.try_emplace(key);
    auto& r = it->second;
    if (fresh) {
      r.first_job = i;
      r.exact_key = std::move(exact);
      t.order.push_back(std::move(key));
      r.kind = o == op::insert ? net::insert : o == op::update ? net::upsert : net::remove;
    } else {
      if (exact != r.exact_key) return false;
      switch (r.kind) {
        case net::insert:
        case net::upsert:
          if (o == op::insert) return false;  // the row exists already
          // Inserted and deleted within the batch: nothing to do, unless the insert may be a
          // replay (safe mode) of one the downstream has already.
          if (o == op::remove)
            r.kind = r.kind == net::insert && !(r.safe || safe) ? net::none : net::remove;
          break;
        case net::remove:
          if (o != op::insert) return false;  // the row is gone
          r.kind = net::upsert;
          break;
        case net::none:
          if (o != op::insert) return false;
          r.kind = net::insert;
          break;
      }
    }
    r.image = &image;
    r.safe = r.safe || safe;
    return true;
  }

  // Switches the session's foreign key checks to `on` before job `i` if they are not so. The
  // appliers' session has them off (downstream_session.hpp), and so has it after each batch.
  void set_fk_checks(bool on, size_t i) {
    if (on == fk_checks_) return;
    std::string sql = on ? "SET SESSION foreign_key_checks = 1" : "SET SESSION foreign_key_checks = 0";
    emit(sql, i);
    fk_checks_ = on;
  }

  // Consecutive inserts into one table become one multi-row INSERT (REPLACE in safe mode);
  // updates and deletes address one row each by its identity key.
  caf::error render_in_order(const std::vector<size_t>& indexes) {
    std::string sql;
    size_t n = 0;
    while (n < indexes.size()) {
      auto i = indexes[n];
      const auto& job = jobs_[i];
      bool safe = safe_for(job);
      set_fk_checks(job.fk_checks, i);
      if (job.kind == rows_kind::write) {
        std::vector<const sql::row_image*> rows{&job.after};
        size_t bytes = 0, m = n + 1;
        for (; m < indexes.size(); ++m) {
          const auto& next = jobs_[indexes[m]];
          if (next.kind != rows_kind::write || next.target != job.target ||
              next.fk_checks != job.fk_checks ||
              next.schema != job.schema || safe_for(next) != safe ||
              !same_columns(job.after, next.after) || bytes > max_bytes_)
            break;
          rows.push_back(&next.after);
          bytes += image_bytes(next.after);
        }
        if (auto err = sql::append_insert(sql, job.target, *job.schema, rows, safe)) return err;
        emit(sql, i);
        n = m;
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
      ++n;
    }
    if (!indexes.empty()) set_fk_checks(false, indexes.back());
    return caf::none;
  }

  // A table's net changes: deletes, then upserts, then inserts, each as multi-row statements.
  // Rows differ by key, so the order among them does not matter.
  caf::error render_compacted(const table_changes& t) {
    const auto& target = t.sample->target;
    const auto& schema = *t.sample->schema;
    using writer = caf::error (*)(std::string&, const std::string&, const table_schema&,
                                  const std::vector<const sql::row_image*>&);
    auto write_group = [&](net kind, bool safe, writer write) -> caf::error {
      std::vector<const sql::row_image*> rows;
      size_t bytes = 0, first = 0;
      auto flush = [&]() -> caf::error {
        if (rows.empty()) return caf::none;
        std::string sql;
        if (auto err = write(sql, target, schema, rows)) return err;
        emit(sql, first);
        rows.clear();
        bytes = 0;
        return caf::none;
      };
      for (auto& key : t.order) {
        auto& r = t.rows.at(key);
        if (r.kind != kind || (kind == net::insert && r.safe != safe)) continue;
        if (rows.empty()) first = r.first_job;
        rows.push_back(r.image);
        bytes += image_bytes(*r.image);
        if (bytes > max_bytes_)
          if (auto err = flush()) return err;
      }
      return flush();
    };
    if (auto err = write_group(net::remove, false, sql::append_delete_keys)) return err;
    if (auto err = write_group(net::upsert, false, sql::append_upsert)) return err;
    auto insert = [](std::string& out, const std::string& tgt, const table_schema& s,
                     const std::vector<const sql::row_image*>& rows) {
      return sql::append_insert(out, tgt, s, rows, false);
    };
    auto replace = [](std::string& out, const std::string& tgt, const table_schema& s,
                      const std::vector<const sql::row_image*>& rows) {
      return sql::append_insert(out, tgt, s, rows, true);
    };
    if (auto err = write_group(net::insert, false, insert)) return err;
    return write_group(net::insert, true, replace);
  }

  const std::vector<row_job>& jobs_;
  bool force_safe_;
  // The session's foreign key checks at the point rendered so far.
  bool fk_checks_ = false;
  size_t max_bytes_;
  std::unordered_map<std::string, table_changes> tables_;
  rendered_batch out_;
};

}  // namespace

caf::expected<rendered_batch> render_batch(const job_batch& batch, bool force_safe,
                                           size_t max_statement_bytes) {
  return batch_renderer{batch, force_safe, max_statement_bytes}.render();
}

}  // namespace dm
