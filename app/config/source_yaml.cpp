#include "app/config/source_yaml.hpp"

#include "app/config/db_yaml.hpp"
#include "app/config/yaml_map.hpp"
#include "common/error.hpp"
#include "protocol/gtid_set.hpp"
#include "common/position.hpp"

namespace dm::config {

caf::expected<source_config> parse_source_yaml(const std::string& text, const std::string& file) {
  auto doc = parse_yaml_document(text, file);
  if (!doc) return doc.error();
  if (auto err = doc->check_keys(
          {"source-id", "enable-gtid", "enable-relay", "relay-binlog-name", "relay-binlog-gtid",
           "server-id", "flavor", "from", "purge", "heartbeat-period", "read-timeout"},
          {{"relay-dir", "the relay log lives in the worker's RocksDB under its data-dir"},
           {"checker", "task auto-resume is configured per worker in this version"},
           {"case-sensitive", "table names are matched as the upstream reports them"},
           {"filters", "put event filters in the task config"},
           {"collation_compatible", "collations are replicated as they are"}}))
    return err;
  source_config cfg;
  if (auto err = doc->read("source-id", cfg.source_id, true)) return err;
  if (auto err = check_name(cfg.source_id, doc->where("source-id"))) return err;
  if (auto err = doc->read("enable-gtid", cfg.enable_gtid)) return err;
  if (auto err = doc->read("enable-relay", cfg.enable_relay)) return err;
  if (auto err = doc->read("relay-binlog-name", cfg.relay_binlog_name)) return err;
  if (!cfg.relay_binlog_name.empty() && !binlog_file_index(cfg.relay_binlog_name))
    return make_error(ec::invalid_config, doc->where("relay-binlog-name") + " '" +
                                              cfg.relay_binlog_name +
                                              "' is not a binlog file name like mysql-bin.000001");
  if (auto err = doc->read("relay-binlog-gtid", cfg.relay_binlog_gtid)) return err;
  if (!cfg.relay_binlog_gtid.empty()) {
    auto gtids = gtid_set::parse(cfg.relay_binlog_gtid);
    if (!gtids)
      return make_error(ec::invalid_config,
                        doc->where("relay-binlog-gtid") + ": " + describe(gtids.error()));
  }
  if (auto err = doc->read("server-id", cfg.server_id, 1)) return err;
  if (auto err = doc->read("flavor", cfg.flavor)) return err;
  if (!cfg.flavor.empty() && cfg.flavor != "mysql" && cfg.flavor != "mariadb")
    return make_error(ec::invalid_config,
                      doc->where("flavor") + " must be mysql or mariadb, got '" + cfg.flavor + "'");

  auto from = doc->child("from");
  if (!from) return from.error();
  if (!doc->has("from")) return make_error(ec::invalid_config, doc->where("from") + " is required");
  if (auto err = parse_db(*from, cfg.from)) return err;

  if (auto err = doc->read("heartbeat-period", cfg.heartbeat_period, 1)) return err;
  if (auto err = doc->read("read-timeout", cfg.read_timeout, 1)) return err;
  if (cfg.read_timeout <= cfg.heartbeat_period)
    return make_error(ec::invalid_config, doc->where("read-timeout") +
                                              " must be longer than heartbeat-period");

  auto purge = doc->child("purge");
  if (!purge) return purge.error();
  if (auto err = purge->check_keys({"interval", "expires", "remain-space"})) return err;
  if (auto err = purge->read("interval", cfg.purge.interval, 1)) return err;
  if (auto err = purge->read("expires", cfg.purge.expires)) return err;
  if (auto err = purge->read("remain-space", cfg.purge.remain_space)) return err;
  return cfg;
}

}  // namespace dm::config
