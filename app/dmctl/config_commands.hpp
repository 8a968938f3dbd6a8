// dmctl's commands on whole configs, as DM has them: get-config prints a task's, source's or
// worker's config as stored (DM-format YAML; passwords as given), config export writes every
// source and task of the workers into a directory, and config import creates them again from
// one (sources first, then tasks). Export files hold passwords: they are written mode 0600.
#pragma once

#include <string>

#include <caf/expected.hpp>

#include "app/dmctl/commands.hpp"

namespace dm::dmctl {

// `kind`: task, source or worker.
caf::expected<reply> get_config(workers& ws, const std::string& kind, const std::string& name);
// Writes DIR/sources/<source-id>.yaml and DIR/tasks/<task>.yaml.
caf::expected<reply> config_export(workers& ws, const std::string& dir);
// Creates the sources of DIR/sources (on the first worker, as operate-source create does), then
// starts the tasks of DIR/tasks; what already exists is named and left as it is.
caf::expected<reply> config_import(workers& ws, const std::string& dir);

}  // namespace dm::dmctl
