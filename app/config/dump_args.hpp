// DM's `mydumpers.<name>.extra-args`: the command-line options DM passes to its dumper
// (mydumper, later Dumpling). Each option is applied to the dump settings, accepted with a
// warning when it cannot change anything here, or refused by name when it would make the copy
// differ from what the task's rules replicate.
#pragma once

#include <string>
#include <vector>

#include "model/config.hpp"
#include "app/config/yaml_map.hpp"

namespace dm::config {

// Applies the options in `text` (shell-like words: quotes group, '=' or the next word gives a
// value) to `out`. `where` names the key in messages.
void apply_dump_args(const std::string& text, const std::string& where, dumper_config& out,
                     problem_list& problems, std::vector<std::string>& warnings);

}  // namespace dm::config
