#include "app/dmctl/config_commands.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "app/config/dm_yaml_writer.hpp"
#include "app/dmctl/client.hpp"
#include "model/config_json.hpp"

namespace dm::dmctl {

namespace {

namespace fs = std::filesystem;

// The stored config of (kind, name) as JSON text, from the worker that holds it.
caf::expected<std::string> stored_config(workers& ws, const std::string& kind,
                                         const std::string& name) {
  auto a = ask_each<std::string>(ws, ws.all(), {ec::not_found}, get_config_atom_v, kind, name);
  if (!a) return a.error();
  if (a->from.empty()) return on_no_worker(ws, a->refusal, kind + " " + name);
  return a->from.front().second;
}

caf::expected<std::string> config_yaml(workers& ws, const std::string& kind,
                                       const std::string& name) {
  auto json = stored_config(ws, kind, name);
  if (!json) return json.error();
  if (kind == "source") {
    auto cfg = source_config_from_json(*json);
    if (!cfg) return cfg.error();
    return config::to_dm_yaml(*cfg);
  }
  auto cfg = task_config_from_json(*json);
  if (!cfg) return cfg.error();
  return config::to_dm_yaml(*cfg);
}

// Writes `text` to `path`, readable by its owner only (it holds passwords).
caf::error write_private(const fs::path& path, const std::string& text) {
  std::ofstream out{path, std::ios::trunc};
  if (!out) return make_error(ec::io_failed, "cannot write " + path.string());
  out << text;
  out.close();
  if (!out || ::chmod(path.c_str(), 0600) != 0)
    return make_error(ec::io_failed, "cannot write " + path.string());
  return caf::none;
}

// The .yaml files of `dir`, sorted; none when it does not exist.
std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto& entry : fs::directory_iterator{dir, ec})
    if (entry.is_regular_file() && entry.path().extension() == ".yaml") out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

caf::expected<reply> get_config(workers& ws, const std::string& kind, const std::string& name) {
  if (kind == "task" || kind == "source") {
    auto text = config_yaml(ws, kind, name);
    if (!text) return text.error();
    return reply{{{"result", true}, {"kind", kind}, {"name", name}, {"config", *text}}, *text};
  }
  if (kind != "worker")
    return make_error(ec::invalid_argument,
                      "get-config takes task, source or worker, not '" + kind + "'");
  auto json = stored_config(ws, kind, name);
  if (!json) return json.error();
  auto settings = nlohmann::json::parse(*json, nullptr, false);
  std::string text;
  for (auto& [key, value] : settings.items())
    text += key + " = " + value.dump() + "\n";
  return reply{{{"result", true}, {"kind", kind}, {"name", name}, {"config", settings}}, text};
}

caf::expected<reply> config_export(workers& ws, const std::string& dir) {
  std::set<std::string> sources, tasks;
  auto members = ask_each<std::vector<member_info>>(ws, ws.all(), {}, list_member_atom_v);
  if (!members) return members.error();
  for (auto& [i, list] : members->from)
    for (auto& m : list) {
      sources.insert(m.sources.begin(), m.sources.end());
      tasks.insert(m.tasks.begin(), m.tasks.end());
    }
  std::error_code ec;
  for (const char* sub : {"sources", "tasks"}) {
    fs::create_directories(fs::path{dir} / sub, ec);
    if (ec)
      return make_error(ec::io_failed,
                        "cannot create " + (fs::path{dir} / sub).string() + ": " + ec.message());
  }
  auto written = nlohmann::json::array();
  for (auto [kind, names, sub] : {std::make_tuple("source", &sources, "sources"),
                                  std::make_tuple("task", &tasks, "tasks")})
    for (auto& name : *names) {
      auto text = config_yaml(ws, kind, name);
      if (!text) return text.error();
      auto path = fs::path{dir} / sub / (name + ".yaml");
      if (auto err = write_private(path, *text)) return err;
      written.push_back(path.string());
    }
  std::string text = "exported " + std::to_string(sources.size()) + " source(s) and " +
                     std::to_string(tasks.size()) + " task(s) to " + dir + "\n";
  return reply{{{"result", true}, {"files", written}}, text};
}

caf::expected<reply> config_import(workers& ws, const std::string& dir) {
  auto source_files = yaml_files(fs::path{dir} / "sources");
  auto task_files = yaml_files(fs::path{dir} / "tasks");
  if (source_files.empty() && task_files.empty())
    return make_error(ec::not_found, dir + " holds no sources/*.yaml or tasks/*.yaml; write "
                                           "them with config export");
  auto created = nlohmann::json::array(), existing = nlohmann::json::array();
  std::string text;
  auto run = [&](const fs::path& file, bool is_source) -> caf::error {
    auto r = is_source ? operate_source(ws, "create", file.string())
                       : start_task(ws, file.string(), false, "");
    if (r) {
      created.push_back(file.string());
      text += "created " + file.string() + "\n";
      return caf::none;
    }
    if (code_of(r.error()) != ec::already_exists) return r.error();
    existing.push_back(file.string());
    text += "left as it is (it exists): " + file.string() + "\n";
    return caf::none;
  };
  for (auto& f : source_files)
    if (auto err = run(f, true)) return err;
  for (auto& f : task_files)
    if (auto err = run(f, false)) return err;
  return reply{{{"result", true}, {"created", created}, {"existing", existing}}, text};
}

}  // namespace dm::dmctl
