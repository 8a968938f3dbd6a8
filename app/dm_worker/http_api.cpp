#include "app/dm_worker/http_api.hpp"

#include <algorithm>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <caf/all.hpp>

#include "actors/admin_gate.hpp"
#include "common/defaults.hpp"
#include "common/error.hpp"
#include "model/config_json.hpp"

namespace dm::app {

namespace {

using nlohmann::json;

// Asks the worker the command (atom `command`, then `xs`) and waits (on the HTTP thread) for its
// answer; a failure counts as dmctl's do.
template <class Result, class Command, class... Ts>
caf::expected<Result> ask(const api_context& api, Command command, const Ts&... xs) {
  caf::scoped_actor self{*api.system};
  caf::expected<Result> out{caf::error{}};
  self->request(api.worker, defaults::dmctl_request_timeout, command, xs...)
      .receive([&](Result& r) { out = std::move(r); },
               [&](caf::error& e) {
                 count_operate_error(api.worker_name, command, e);
                 out = e;
               });
  return out;
}

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, const caf::error& err) {
  auto code = code_of(err);
  int status = code == ec::not_found                                            ? 404
               : code == ec::invalid_argument || code == ec::invalid_state ? 400
                                                                                : 500;
  send_json(res, {{"error_code", static_cast<int>(code)}, {"error_msg", describe(err)}}, status);
}

std::string position_text(const binlog_position& p) {
  return p.file.empty() ? "" : "(" + p.file + ", " + std::to_string(p.pos) + ")";
}

json source_json(const source_config& c) {
  return {{"source_name", c.source_id},
          {"host", c.from.host},
          {"port", c.from.port},
          {"user", c.from.user},
          {"password", "******"},
          {"enable", true},
          {"enable_gtid", c.enable_gtid},
          {"flavor", c.flavor},
          {"purge",
           {{"interval", c.purge.interval},
            {"expires", c.purge.expires},
            {"remain_space", c.purge.remain_space}}},
          {"relay_config",
           {{"enable_relay", c.enable_relay},
            {"relay_binlog_name", c.relay_binlog_name},
            {"relay_binlog_gtid", c.relay_binlog_gtid},
            {"relay_dir", ""}}}};
}

json source_status_json(const source_status& s) {
  const auto& r = s.relay;
  return {{"source_name", s.source_id},
          {"worker_name", s.worker},
          {"error_msg", r.last_error},
          {"relay_status",
           {{"master_binlog", position_text(r.upstream)},
            {"master_binlog_gtid", ""},
            {"relay_dir", ""},
            {"relay_binlog_gtid", r.relay_gtid},
            {"relay_catch_up_master", r.relay == r.upstream},
            {"stage", to_string(r.stage)}}}};
}

json subtask_json(const std::string& task, const subtask_status& s) {
  json out{{"name", task},
           {"source_name", s.source_id},
           {"worker_name", s.worker},
           {"stage", to_string(s.stage)},
           {"unit", to_string(s.unit)},
           {"unresolved_ddl_lock_id", ""},
           {"error_msg", s.last_error}};
  const auto& m = s.migration;
  if (m.tables_total > 0) {
    out["dump_status"] = {{"total_tables", m.tables_total},
                          {"completed_tables", m.tables_loaded},
                          {"finished_bytes", m.bytes_dumped},
                          {"finished_rows", m.rows_dumped},
                          {"estimate_total_rows", m.rows_total}};
    out["load_status"] = {
        {"finished_bytes", m.bytes_loaded},
        {"total_bytes", m.bytes_dumped},
        {"progress", m.rows_total ? std::to_string(100 * m.rows_loaded / m.rows_total) + " %"
                                  : std::string{"0 %"}}};
  }
  out["sync_status"] = {{"total_events", s.events_applied},
                        {"total_tps", 0},
                        {"recent_tps", static_cast<int64_t>(s.rows_per_second)},
                        {"master_binlog", position_text(s.relay)},
                        {"master_binlog_gtid", ""},
                        {"syncer_binlog", position_text(s.synced)},
                        {"syncer_binlog_gtid", s.synced_gtid},
                        {"blocking_ddls", json::array()},
                        {"unresolved_groups", json::array()},
                        {"synced", s.synced_upstream},
                        {"binlog_type", "local"},
                        {"seconds_behind_master", s.lag_seconds}};
  return out;
}

json task_json(const task_config& c) {
  json source_conf = json::array();
  for (auto& inst : c.mysql_instances)
    source_conf.push_back({{"source_name", inst.source_id},
                           {"binlog_name", inst.meta.binlog_name},
                           {"binlog_pos", inst.meta.binlog_pos},
                           {"binlog_gtid", inst.meta.binlog_gtid}});
  const auto* first = c.mysql_instances.empty() ? nullptr : &c.mysql_instances.front();
  json full{{"export_threads", first ? first->dumper.threads : 0},
            {"import_threads", first ? first->loader.pool_size : 0},
            {"data_dir", first ? first->loader.dir : ""},
            {"consistency", first ? to_string(first->dumper.consistency) : "flush"},
            {"import_mode", "logical"},
            {"on_duplicate_logical", first ? to_string(first->loader.on_duplicate) : "replace"}};
  json incremental{{"repl_threads", first ? first->syncer.worker_count : 0},
                   {"repl_batch", first ? first->syncer.batch : 0}};
  return {{"name", c.name},
          {"task_mode", to_string(c.task_mode)},
          {"shard_mode", ""},
          {"strict_optimistic_shard_mode", false},
          {"meta_schema", c.meta_schema},
          {"enhance_online_schema_change", false},
          {"on_duplicate", first ? to_string(first->loader.on_duplicate) : "replace"},
          {"ignore_checking_items", c.ignore_checking_items},
          {"target_config",
           {{"host", c.target_database.host},
            {"port", c.target_database.port},
            {"user", c.target_database.user},
            {"password", "******"}}},
          {"source_config",
           {{"source_conf", source_conf},
            {"full_migrate_conf", full},
            {"incr_migrate_conf", incremental}}}};
}

bool with_status(const httplib::Request& req) {
  return req.has_param("with_status") && req.get_param_value("with_status") == "true";
}

// The sources a start/stop body names ({"source_name_list": [...]}); empty: all.
caf::expected<std::vector<std::string>> body_sources(const httplib::Request& req) {
  if (req.body.empty()) return std::vector<std::string>{};
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(ec::invalid_argument, "the request body is not a JSON object");
  std::vector<std::string> out;
  if (body.contains("source_name_list")) {
    if (!body["source_name_list"].is_array())
      return make_error(ec::invalid_argument, "source_name_list must be a list of names");
    for (auto& s : body["source_name_list"]) {
      if (!s.is_string())
        return make_error(ec::invalid_argument, "source_name_list must be a list of names");
      out.push_back(s.get<std::string>());
    }
  }
  return out;
}

}  // namespace

void add_api_routes(httplib::Server& server, api_context api) {
  // The admin token, as dmctl's: checked before any route runs.
  server.set_pre_routing_handler([api](const httplib::Request& req, httplib::Response& res) {
    if (api.token.empty() || req.path.rfind("/api/", 0) != 0)
      return httplib::Server::HandlerResponse::Unhandled;
    auto header = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (header.rfind(bearer, 0) == 0 && same_token(header.substr(bearer.size()), api.token))
      return httplib::Server::HandlerResponse::Unhandled;
    send_json(res,
              {{"error_code", static_cast<int>(ec::unauthorized)},
               {"error_msg", "the worker refused the request: no or a wrong admin token; send "
                             "Authorization: Bearer <the token in admin-token-path>"}},
              401);
    return httplib::Server::HandlerResponse::Handled;
  });

  server.Get("/api/v1/sources", [api](const httplib::Request& req, httplib::Response& res) {
    auto status = ask<status_reply>(api, query_status_atom_v, std::string{});
    if (!status) return send_error(res, status.error());
    std::sort(status->sources.begin(), status->sources.end(),
              [](const source_status& a, const source_status& b) {
                return a.source_id < b.source_id;
              });
    json data = json::array();
    for (auto& s : status->sources) {
      auto text = ask<std::string>(api, get_config_atom_v, std::string{"source"}, s.source_id);
      if (!text) return send_error(res, text.error());
      auto cfg = source_config_from_json(*text);
      if (!cfg) return send_error(res, cfg.error());
      auto item = source_json(*cfg);
      if (with_status(req)) item["status_list"] = json::array({source_status_json(s)});
      data.push_back(std::move(item));
    }
    send_json(res, {{"total", data.size()}, {"data", data}});
  });

  server.Get("/api/v1/tasks", [api](const httplib::Request& req, httplib::Response& res) {
    auto status = ask<status_reply>(api, query_status_atom_v, std::string{});
    if (!status) return send_error(res, status.error());
    json data = json::array();
    for (auto& t : status->tasks) {
      auto text = ask<std::string>(api, get_config_atom_v, std::string{"task"}, t.name);
      if (!text) return send_error(res, text.error());
      auto cfg = task_config_from_json(*text);
      if (!cfg) return send_error(res, cfg.error());
      auto item = task_json(*cfg);
      if (with_status(req)) {
        item["status_list"] = json::array();
        for (auto& s : t.subtasks) item["status_list"].push_back(subtask_json(t.name, s));
      }
      data.push_back(std::move(item));
    }
    send_json(res, {{"total", data.size()}, {"data", data}});
  });

  server.Get(R"(/api/v1/tasks/([^/]+)/status)",
             [api](const httplib::Request& req, httplib::Response& res) {
               auto name = req.matches[1].str();
               auto status = ask<status_reply>(api, query_status_atom_v, name);
               if (!status) return send_error(res, status.error());
               json data = json::array();
               for (auto& t : status->tasks)
                 for (auto& s : t.subtasks) data.push_back(subtask_json(t.name, s));
               send_json(res, {{"total", data.size()}, {"data", data}});
             });

  // DM's v1: start resumes a task, stop pauses it; resume and pause are the same.
  for (auto [verb, pause] : {std::make_pair("start", false), std::make_pair("resume", false),
                             std::make_pair("stop", true), std::make_pair("pause", true)}) {
    server.Post(R"(/api/v1/tasks/([^/]+)/)" + std::string{verb},
                [api, pause = pause](const httplib::Request& req, httplib::Response& res) {
                  auto name = req.matches[1].str();
                  auto sources = body_sources(req);
                  if (!sources) return send_error(res, sources.error());
                  auto status =
                      pause ? ask<task_status>(api, pause_task_atom_v, name, *sources)
                            : ask<task_status>(api, resume_task_atom_v, name, *sources);
                  if (!status) return send_error(res, status.error());
                  json data = json::array();
                  for (auto& s : status->subtasks) data.push_back(subtask_json(name, s));
                  send_json(res, {{"total", data.size()}, {"data", data}});
                });
  }
}

}  // namespace dm::app
