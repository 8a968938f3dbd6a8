#include "app/config/filter_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include "common/error.hpp"
#include "sync/table_rules.hpp"

namespace dm::config {

void parse_filter(const yaml_map& m, filter_rule& out, problem_list& problems) {
  problems.add(m.check_keys({"schema-pattern", "table-pattern", "events", "sql-pattern",
                             "action"}));
  problems.add(m.read("schema-pattern", out.schema_pattern, true));
  problems.add(m.read("table-pattern", out.table_pattern));
  problems.add(m.read("events", out.events));
  problems.add(m.read("sql-pattern", out.sql_patterns));
  problems.add(m.read("action", out.action, true));
  if (out.events.empty() && out.sql_patterns.empty())
    problems.add(m.where("events") + " or sql-pattern is required");
  for (const char* key : {"schema-pattern", "table-pattern"}) {
    std::string text;
    if (m.read(key, text) || text.empty()) continue;
    problems.failed(name_pattern::compile(text, m.where(key)));
  }
  for (auto& event : out.events) {
    if (!is_filter_event_name(canonical_event_name(event)))
      problems.add(m.where("events") + ": '" + event +
                   "' is not an event name DM's binlog filter knows (" + filter_event_names() +
                   ")");
  }
  for (auto& pattern : out.sql_patterns) {
    try {
      std::regex{pattern, std::regex::ECMAScript | std::regex::icase};
    } catch (const std::regex_error& e) {
      problems.add(m.where("sql-pattern") + ": '" + pattern +
                   "' is not a valid regular expression (" + e.what() + ")");
    }
  }
  std::string action = out.action;
  std::transform(action.begin(), action.end(), action.begin(), ::tolower);
  if (!out.action.empty() && action != "ignore" && action != "do" && action != "error")
    problems.add(m.where("action") + " must be Ignore, Do or Error, got '" + out.action + "'");
}

}  // namespace dm::config
