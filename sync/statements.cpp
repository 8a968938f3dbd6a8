#include "sync/statements.hpp"

#include "protocol/sql/lexer.hpp"

namespace dm {

std::vector<std::string> split_statements(const std::string& sql) {
  std::vector<std::string> out;
  size_t start = 0;
  auto push = [&](size_t end) {
    auto part = sql.substr(start, end - start);
    if (part.find_first_not_of(" \t\r\n") != std::string::npos) out.push_back(part);
  };
  for (auto& t : sql::tokenize(sql))
    if (t.is(';')) {
      push(t.begin);
      start = t.end;
    }
  push(sql.size());
  return out;
}

}  // namespace dm
