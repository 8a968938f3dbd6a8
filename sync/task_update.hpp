// update-task: what a paused task may change. Only the rules each source's instance names
// (block-allow-list, route-rules, filter-rules) take effect when its syncer starts again; every
// other setting (mode, target, positions, unit settings, the set of sources) was fixed when the
// task started, and changing it takes stop-task and start-task.
#pragma once

#include <caf/error.hpp>

#include "model/config.hpp"

namespace dm {

// Nothing (no error) when `updated` differs from `running` only in its instances' rules;
// else an invalid_argument error naming the first other setting that differs, as the task
// file spells it (e.g. "task-mode", "source up: meta"), never its value.
caf::error check_rules_only_update(const task_config& running, const task_config& updated);

}  // namespace dm
