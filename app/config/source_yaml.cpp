#include "app/config/source_yaml.hpp"

#include "app/config/db_yaml.hpp"
#include "app/config/filter_yaml.hpp"
#include "app/config/yaml_map.hpp"
#include "common/error.hpp"
#include "common/position.hpp"
#include "protocol/gtid_set.hpp"

namespace dm::config {

namespace {

// DM's `checker`: auto-resume of the source's tasks.
void parse_checker(const yaml_map& doc, auto_resume_config& out, problem_list& problems,
                   std::vector<std::string>& warnings) {
  auto m = doc.child("checker");
  if (problems.failed(m)) return;
  problems.add(m->take_tolerated(
      {{"check-interval", nullptr,
        "a task notices a failed unit at once, without polling", false},
       {"backoff-factor", "2", "each failure doubles the delay", false},
       {"backoff-jitter", "true", "delays always have jitter", false}},
      warnings));
  problems.add(m->check_keys({"check-enable", "backoff-min", "backoff-max", "backoff-rollback"}));
  problems.add(m->read("check-enable", out.enabled));
  problems.add(m->read_duration("backoff-min", out.backoff_min_ms));
  problems.add(m->read_duration("backoff-max", out.backoff_max_ms));
  problems.add(m->read_duration("backoff-rollback", out.rollback_ms));
  if (out.backoff_min_ms < 1 || out.backoff_max_ms < out.backoff_min_ms)
    problems.add(m->where("backoff-max") + " must be at least backoff-min, which must be "
                                           "positive");
  if (out.rollback_ms < 1) problems.add(m->where("backoff-rollback") + " must be positive");
}

}  // namespace

caf::expected<source_config> parse_source_yaml(const std::string& text, const std::string& file,
                                               std::vector<std::string>& warnings) {
  problem_list problems;
  auto doc = parse_yaml_document(text, file, problems);
  if (!doc) return doc.error();
  problems.add(doc->take_tolerated(
      {{"relay-dir", nullptr, "the relay log lives in the worker's RocksDB under its data-dir",
        false},
       {"enable", "true", "a source runs while it exists; create it when it should run", true},
       {"auto-fix-gtid", "false", "the relay follows the upstream's GTIDs itself", false},
       {"meta-dir", nullptr, "relay metadata lives in the worker's RocksDB", false},
       {"charset", nullptr, "connections use utf8mb4 and replicate each event's charset",
        false},
       {"tracer", nullptr, "DM's tracer does not exist here", false}},
      warnings));
  problems.add(doc->check_keys({"source-id", "enable-gtid", "enable-relay", "relay-binlog-name",
                                "relay-binlog-gtid", "server-id", "flavor", "from", "purge",
                                "checker", "filters", "heartbeat-period", "read-timeout",
                                "case-sensitive"}));
  source_config cfg;
  problems.add(doc->read("case-sensitive", cfg.case_sensitive));
  problems.add(doc->read("source-id", cfg.source_id, true));
  if (!cfg.source_id.empty()) problems.add(check_name(cfg.source_id, doc->where("source-id")));
  problems.add(doc->read("enable-gtid", cfg.enable_gtid));
  problems.add(doc->read("enable-relay", cfg.enable_relay));
  problems.add(doc->read("relay-binlog-name", cfg.relay_binlog_name));
  if (!cfg.relay_binlog_name.empty() && !binlog_file_index(cfg.relay_binlog_name))
    problems.add(doc->where("relay-binlog-name") + " '" + cfg.relay_binlog_name +
                 "' is not a binlog file name like mysql-bin.000001");
  problems.add(doc->read("relay-binlog-gtid", cfg.relay_binlog_gtid));
  if (!cfg.relay_binlog_gtid.empty()) {
    auto gtids = gtid_set::parse(cfg.relay_binlog_gtid);
    if (!gtids)
      problems.add(doc->where("relay-binlog-gtid") + ": " + describe(gtids.error()));
  }
  // 0 (DM's default) lets the worker pick one derived from the source id.
  problems.add(doc->read("server-id", cfg.server_id, 0));
  problems.add(doc->read("flavor", cfg.flavor));
  if (!cfg.flavor.empty() && cfg.flavor != "mysql" && cfg.flavor != "mariadb")
    problems.add(doc->where("flavor") + " must be mysql or mariadb (or absent: detected from "
                                        "the server), got '" + cfg.flavor + "'");

  auto from = doc->child("from");
  if (!problems.failed(from)) {
    if (!doc->has("from")) problems.add(doc->where("from") + " is required");
    else parse_db(*from, cfg.from, false, problems, warnings);
  }

  problems.add(doc->read("heartbeat-period", cfg.heartbeat_period, 1));
  problems.add(doc->read("read-timeout", cfg.read_timeout, 1));
  if (cfg.read_timeout <= cfg.heartbeat_period)
    problems.add(doc->where("read-timeout") + " must be longer than heartbeat-period");

  auto purge = doc->child("purge");
  if (!problems.failed(purge)) {
    problems.add(purge->check_keys({"interval", "expires", "remain-space"}));
    problems.add(purge->read("interval", cfg.purge.interval, 1));
    problems.add(purge->read("expires", cfg.purge.expires));
    problems.add(purge->read("remain-space", cfg.purge.remain_space));
  }
  parse_checker(*doc, cfg.auto_resume, problems, warnings);

  auto filters = doc->child_list("filters");
  if (!problems.failed(filters))
    for (auto& m : *filters) {
      filter_rule rule;
      rule.name = "source." + std::to_string(cfg.filters.size());
      parse_filter(m, rule, problems);
      cfg.filters.push_back(std::move(rule));
    }
  if (auto err = problems.result()) return err;
  return cfg;
}

}  // namespace dm::config
