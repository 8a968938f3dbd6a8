#include "actors/loader.hpp"

#include <algorithm>
#include <filesystem>

#include <caf/all.hpp>

#include "actors/chunk_loader.hpp"
#include "sync/downstream_meta.hpp"
#include "io/sync_start.hpp"
#include "common/log.hpp"
#include "storage/dump_store.hpp"

namespace dm {

namespace {

using self_ptr = loader_actor::stateful_pointer<loader_state>;

void finish_if_done(self_ptr self);

// Counts a chunk loaded, once (a chunk dumped again to be reloaded was counted before).
void count_loaded(loader_state& st, const storage::dump_chunk& c) {
  if (!st.counted.insert(c.id).second) return;
  ++st.counters.chunks_loaded;
  st.counters.rows_loaded += c.rows;
  st.counters.bytes_loaded += c.bytes;
  if (++st.loaded_per_table[{c.db, c.table}] == c.chunks_in_table) ++st.counters.tables_loaded;
}

// Once every chunk is loaded: hands each table's deferred secondary indexes to an idle chunk
// loader, so that tables get their indexes side by side. Returns whether any are still being
// added.
bool add_deferred_indexes(self_ptr self) {
  auto& st = self->state;
  if (!st.deferred_listed) {
    auto deferred = st.store->deferred();
    if (!deferred) {
      self->quit(deferred.error());
      return true;
    }
    st.deferred.assign(deferred->begin(), deferred->end());
    st.deferred_listed = true;
  }
  while (!st.idle.empty() && !st.deferred.empty()) {
    auto worker = st.idle.back();
    st.idle.pop_back();
    ++st.busy;
    auto job = std::move(st.deferred.front());
    st.deferred.pop_front();
    DM_INFO("{} adds {} secondary index(es) to {}.{}, left out while loading", st.label,
            job.definitions.size(), job.target_db, job.target_table);
    self->request(worker, caf::infinite, add_indexes_atom_v, job)
        .then(
            [=]() {
              auto& st = self->state;
              if (auto err = st.store->drop_deferred(job.target_db, job.target_table))
                return self->quit(err);
              --st.busy;
              st.idle.push_back(worker);
              finish_if_done(self);
            },
            [=](caf::error& err) {
              DM_ERROR("{} failed: {}", self->state.label, describe(err));
              self->quit(err);
            });
  }
  return st.busy > 0;
}

void finish_if_done(self_ptr self) {
  auto& st = self->state;
  if (!st.dump_done || !st.queue.empty()) return;
  // Chunks are still loading (once the indexes are listed, busy counts index jobs only).
  if (st.busy > 0 && !st.deferred_listed) return;
  if (add_deferred_indexes(self)) return;
  auto chunks = st.store->chunks();
  if (!chunks) return self->quit(chunks.error());
  if (st.task.task_mode == task_mode::all)
    if (auto err = save_sync_start(st.db, st.task.name, st.source_id, *chunks))
      return self->quit(err);
  if (auto err = st.store->set_load_finished()) return self->quit(err);
  if (st.clean_files) {
    std::error_code ignored;
    std::filesystem::remove_all(st.dir, ignored);
  }
  DM_INFO("{} loaded every chunk: {} table(s), {} rows", st.label, st.counters.tables_loaded,
          st.counters.rows_loaded);
  for (auto& c : st.idle) self->send_exit(c, caf::exit_reason::user_shutdown);
  st.idle.clear();
  self->quit();
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  while (!st.idle.empty() && !st.queue.empty()) {
    auto worker = st.idle.back();
    st.idle.pop_back();
    ++st.busy;
    auto next = std::find_if(st.queue.begin(), st.queue.end(), [&](const auto& entry) {
      return st.loading[{entry.second.db, entry.second.table}] == 0;
    });
    if (next == st.queue.end()) next = st.queue.begin();
    auto [table, chunk] = std::move(*next);
    st.queue.erase(next);
    auto table_key = std::make_pair(chunk.db, chunk.table);
    ++st.loading[table_key];
    self->request(worker, caf::infinite, load_atom_v, table, chunk)
        .then(
            [=](storage::dump_chunk& loaded, bool already) {
              auto& st = self->state;
              --st.loading[table_key];
              if (auto err = st.store->save_chunk(loaded)) return self->quit(err);
              if (already)
                DM_INFO("{} found chunk {} loaded before a crash; not loading it again",
                        st.label, loaded.id);
              else
                DM_INFO("{} loaded chunk {} ({} rows)", st.label, loaded.id, loaded.rows);
              count_loaded(st, loaded);
              if (st.clean_files)
                for (auto& f : loaded.files) {
                  std::error_code ignored;
                  std::filesystem::remove(st.dir + "/" + f, ignored);
                }
              if (st.dumper) self->send(caf::actor_cast<dumper_actor>(st.dumper),
                                        chunk_loaded_atom_v, loaded.id);
              self->send(st.parent, progress_atom_v, st.counters);
              --st.busy;
              st.idle.push_back(worker);
              dispatch(self);
            },
            [=](caf::error& err) {
              DM_ERROR("{} failed: {}", self->state.label, describe(err));
              self->quit(err);
            });
  }
  finish_if_done(self);
}

}  // namespace

loader_actor::behavior_type loader(loader_actor::stateful_pointer<loader_state> self,
                                   task_config task, std::string source_id, int64_t epoch,
                                   std::shared_ptr<storage::database> db, task_actor parent,
                                   std::string dir) {
  auto& st = self->state;
  st.task = std::move(task);
  st.source_id = std::move(source_id);
  st.epoch = epoch;
  st.db = std::move(db);
  st.store = std::make_unique<storage::dump_store>(st.db, st.task.name, st.source_id);
  st.parent = std::move(parent);
  st.dir = std::move(dir);
  st.clean_files = st.task.clean_dump_file;
  st.label = "loader of task " + st.task.name + " on source " + st.source_id;
  auto chunks = st.store->chunks();
  // The first start of this full migration begins its run (downstream_meta.hpp).
  auto run = st.store->run();
  if (run && *run == 0) {
    *run = new_run_id();
    if (auto err = st.store->save_run(*run)) run = err;
  }
  if (!chunks || !run) {
    self->quit(chunks ? run.error() : chunks.error());
  } else {
    size_t done = 0;
    for (auto& c : *chunks)
      if (c.stage == storage::chunk_stage::loaded) {
        count_loaded(st, c);
        ++done;
      }
    if (done > 0)
      DM_INFO("{} resumes: {} chunk(s) already loaded are not loaded again", st.label, done);
    self->send(st.parent, progress_atom_v, st.counters);
    auto pool = std::max<uint32_t>(1, find_instance(st.task, st.source_id)->loader.pool_size);
    for (uint32_t i = 0; i < pool; ++i)
      st.idle.push_back(self->spawn<caf::detached + caf::linked>(
          chunk_loader, st.task, st.source_id, st.epoch, st.dir, st.db, *run, i));
  }
  return {
      [=](chunk_dumped_atom, storage::dump_table& table, storage::dump_chunk& chunk) {
        auto& st = self->state;
        st.dumper = caf::actor_cast<caf::actor>(self->current_sender());
        st.queue.emplace_back(std::move(table), std::move(chunk));
        dispatch(self);
      },
      [=](dump_done_atom) {
        self->state.dump_done = true;
        finish_if_done(self);
      },
  };
}

}  // namespace dm
