#include "app/config/task_yaml.hpp"

#include <map>
#include <set>

#include "app/config/yaml_map.hpp"
#include "protocol/error.hpp"
#include "protocol/gtid_set.hpp"
#include "protocol/position.hpp"

namespace dm::config {

namespace {

constexpr const char* later = "not implemented yet; remove it";

caf::error parse_db(const yaml_map& m, db_config& out) {
  if (auto err = m.check_keys({"host", "port", "user", "password"},
                              {{"security", "TLS to the downstream is not supported yet"},
                               {"session", "downstream session variables are fixed"},
                               {"max-allowed-packet", "statements are sized automatically"}}))
    return err;
  if (auto err = m.read("host", out.host, true)) return err;
  if (auto err = m.read("port", out.port, 1)) return err;
  if (auto err = m.read("user", out.user, true)) return err;
  return m.read("password", out.password);
}

caf::error parse_syncer(const yaml_map& m, syncer_config& out) {
  if (auto err = m.check_keys({"worker-count", "batch", "safe-mode"},
                              {{"queue-size", "in-flight work is bounded by credits per applier"},
                               {"checkpoint-flush-interval", later},
                               {"compact", later},
                               {"multiple-rows", "multi-row statements are always used"},
                               {"safe-mode-duration", later},
                               {"enable-ansi-quotes", later}}))
    return err;
  if (auto err = m.read("worker-count", out.worker_count, 1)) return err;
  if (auto err = m.read("batch", out.batch, 1)) return err;
  if (out.worker_count > 256)
    return make_error(ec::invalid_config, m.where("worker-count") + " must be at most 256");
  return m.read("safe-mode", out.safe_mode);
}

caf::error parse_meta(const yaml_map& m, binlog_meta& out) {
  if (auto err = m.check_keys({"binlog-name", "binlog-pos", "binlog-gtid"})) return err;
  if (auto err = m.read("binlog-name", out.binlog_name)) return err;
  if (auto err = m.read("binlog-pos", out.binlog_pos, 4)) return err;
  if (auto err = m.read("binlog-gtid", out.binlog_gtid)) return err;
  if (!out.binlog_name.empty() && !binlog_file_index(out.binlog_name))
    return make_error(ec::invalid_config, m.where("binlog-name") + " '" + out.binlog_name +
                                              "' is not a binlog file name like mysql-bin.000001");
  if (!out.binlog_gtid.empty()) {
    auto parsed = gtid_set::parse(out.binlog_gtid);
    if (!parsed)
      return make_error(ec::invalid_config, m.where("binlog-gtid") + ": " +
                                                describe(parsed.error()));
    if (out.binlog_name.empty())
      return make_error(ec::invalid_config,
                        m.where("binlog-gtid") + ": starting a task from a GTID alone is not "
                                                 "implemented yet; give binlog-name and binlog-pos");
  }
  return caf::none;
}

}  // namespace

caf::expected<task_config> parse_task_yaml(const std::string& text, const std::string& file,
                                           std::vector<std::string>& warnings) {
  auto doc = parse_yaml_document(text, file);
  if (!doc) return doc.error();
  if (auto err = doc->check_keys(
          {"name", "task-mode", "meta-schema", "target-database", "mysql-instances", "syncers"},
          {{"is-sharding", "shard merging is not implemented yet"},
           {"shard-mode", "shard merging is not implemented yet"},
           {"strict-optimistic-shard-mode", "shard merging is not implemented yet"},
           {"ignore-checking-items", "prechecks are not implemented yet"},
           {"enable-heartbeat", "lag is measured from binlog event times"},
           {"heartbeat-update-interval", "lag is measured from binlog event times"},
           {"heartbeat-report-interval", "lag is measured from binlog event times"},
           {"timezone", "rows are written in UTC; no time zone is needed"},
           {"case-sensitive", later},
           {"collation_compatible", later},
           {"online-ddl", later},
           {"online-ddl-scheme", later},
           {"clean-dump-file", "dump and load are not implemented yet"},
           {"routes", later},
           {"filters", later},
           {"column-mappings", later},
           {"block-allow-list", later},
           {"black-white-list", later},
           {"mydumpers", "dump and load are not implemented yet"},
           {"loaders", "dump and load are not implemented yet"},
           {"expression-filter", later},
           {"validators", later},
           {"experimental", later}}))
    return err;
  task_config task;
  if (auto err = doc->read("name", task.name, true)) return err;
  if (auto err = check_name(task.name, doc->where("name"))) return err;
  if (auto err = doc->read("task-mode", task.task_mode, true)) return err;
  if (task.task_mode == "full" || task.task_mode == "all")
    return make_error(ec::invalid_config, doc->where("task-mode") + " '" + task.task_mode +
                                              "' needs dump and load, which are not implemented "
                                              "yet; use incremental");
  if (task.task_mode != "incremental")
    return make_error(ec::invalid_config, doc->where("task-mode") +
                                              " must be full, incremental or all, got '" +
                                              task.task_mode + "'");
  if (doc->has("meta-schema"))
    warnings.push_back(doc->where("meta-schema") +
                       " has no effect: checkpoints live in the worker's RocksDB");

  auto target = doc->child("target-database");
  if (!target) return target.error();
  if (!doc->has("target-database"))
    return make_error(ec::invalid_config, doc->where("target-database") + " is required");
  if (auto err = parse_db(*target, task.target_database)) return err;

  std::map<std::string, syncer_config> syncers;
  auto named = doc->named_children("syncers");
  if (!named) return named.error();
  for (auto& [name, m] : *named) {
    syncer_config s;
    if (auto err = parse_syncer(m, s)) return err;
    syncers[name] = s;
  }

  auto instances = doc->child_list("mysql-instances");
  if (!instances) return instances.error();
  if (instances->empty())
    return make_error(ec::invalid_config,
                      doc->where("mysql-instances") + " must list at least one source");
  std::set<std::string> seen;
  for (auto& m : *instances) {
    if (auto err = m.check_keys(
            {"source-id", "meta", "syncer-config-name", "syncer-thread"},
            {{"block-allow-list", later},
             {"black-white-list", later},
             {"route-rules", later},
             {"filter-rules", later},
             {"column-mapping-rules", later},
             {"expression-filters", later},
             {"mydumper-config-name", "dump and load are not implemented yet"},
             {"mydumper", "dump and load are not implemented yet"},
             {"mydumper-thread", "dump and load are not implemented yet"},
             {"loader-config-name", "dump and load are not implemented yet"},
             {"loader", "dump and load are not implemented yet"},
             {"loader-thread", "dump and load are not implemented yet"},
             {"syncer", "name a syncers entry with syncer-config-name"},
             {"continuous-validator-config-name", later}}))
      return err;
    mysql_instance inst;
    if (auto err = m.read("source-id", inst.source_id, true)) return err;
    if (auto err = check_name(inst.source_id, m.where("source-id"))) return err;
    if (!seen.insert(inst.source_id).second)
      return make_error(ec::invalid_config,
                        m.where("source-id") + " '" + inst.source_id + "' is listed twice");
    auto meta = m.child("meta");
    if (!meta) return meta.error();
    if (auto err = parse_meta(*meta, inst.meta)) return err;
    std::string syncer_name;
    if (auto err = m.read("syncer-config-name", syncer_name)) return err;
    if (!syncer_name.empty()) {
      auto it = syncers.find(syncer_name);
      if (it == syncers.end())
        return make_error(ec::invalid_config, m.where("syncer-config-name") + " '" + syncer_name +
                                                  "' names no entry under syncers");
      inst.syncer = it->second;
    }
    if (auto err = m.read("syncer-thread", inst.syncer.worker_count, 1)) return err;
    task.mysql_instances.push_back(std::move(inst));
  }
  return task;
}

}  // namespace dm::config
