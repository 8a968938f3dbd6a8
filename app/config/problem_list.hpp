// The problems of one config file, collected so that one run reports them all.
#pragma once

#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>

namespace dm::config {

// Every problem found in one config file, so that one run reports them all rather than one per
// attempt. Parsers record each failed check and go on with the value left at its default.
class problem_list {
 public:
  // Records `err` (each line of its text is one problem) when it is an error. Returns true
  // when it was, so that a caller can skip what depended on the value.
  bool add(const caf::error& err);
  // Records the error of `result` when it failed. Returns true when it did.
  template <class T>
  bool failed(const caf::expected<T>& result) {
    return !result && add(result.error());
  }
  // Records one problem, a line naming the file and key.
  void add(std::string line);
  bool empty() const { return lines_.empty(); }
  // caf::none when nothing was recorded; else one invalid_config error listing every problem,
  // one per line, in the order found.
  caf::error result() const;

 private:
  std::vector<std::string> lines_;
};

}  // namespace dm::config
