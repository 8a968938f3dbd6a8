// Statements an operator gives as one text (handle-error replace): split at ';' outside strings,
// quoted identifiers and comments. Pure.
#pragma once

#include <string>
#include <vector>

namespace dm {

// The statements of `sql`; empty statements dropped.
std::vector<std::string> split_statements(const std::string& sql);

}  // namespace dm
