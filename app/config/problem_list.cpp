#include "app/config/problem_list.hpp"

#include "common/error.hpp"

namespace dm::config {

bool problem_list::add(const caf::error& err) {
  if (!err) return false;
  auto text = describe(err);
  for (size_t start = 0; start <= text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines_.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return true;
}

void problem_list::add(std::string line) { lines_.push_back(std::move(line)); }

caf::error problem_list::result() const {
  if (lines_.empty()) return caf::none;
  std::string text;
  for (const auto& line : lines_) text += (text.empty() ? "" : "\n") + line;
  return make_error(ec::invalid_config, text);
}

}  // namespace dm::config
