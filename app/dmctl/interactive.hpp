// dmctl's interactive mode: run without a command, it reads commands line by line (with line
// editing and a history in ~/.dmctl_history when stdin is a terminal) until `exit`, `quit` or
// end of input.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dm::dmctl {

// Splits a command line into words like a shell: blanks separate words, '...' and "..." quote
// (a backslash escapes the next character outside single quotes). nullopt when a quote is not
// closed.
std::optional<std::vector<std::string>> split_command_line(const std::string& line);

// Reads commands and runs each with `run` (its words, without the program name). A line that
// cannot be split is reported and skipped. Returns the exit code of the last command run.
int run_interactive(const std::function<int(const std::vector<std::string>&)>& run);

}  // namespace dm::dmctl
