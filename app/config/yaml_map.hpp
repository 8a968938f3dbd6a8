// Strict reading of one YAML mapping of a config file: every key must be known, values must have
// the right type, and every error is one line naming the file and the key's full path, e.g.
//   task.yaml: mysql-instances[0].meta.binlog-pos must be an integer in 4..4294967295, got 'x'
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <yaml-cpp/yaml.h>

#include "app/config/problem_list.hpp"

namespace dm::config {

// A DM key this version does not support, with what the user should know about it.
struct unsupported_key {
  const char* key;
  const char* reason;
};

// A DM key dm-worker takes without acting on it. Its value is one of `off_values` (DM's "off"
// or default; '|'-separated, "" matches an empty value; nullptr: none): accepted silently.
// Any other value: refused with `why` when `refused_otherwise`, else accepted with a warning
// that says `why` it has no effect here.
struct tolerated_key {
  const char* key;
  const char* off_values;
  const char* why;
  bool refused_otherwise;
};

class yaml_map {
 public:
  // `path` is the dotted path of this mapping ("" for the document's top level).
  yaml_map(YAML::Node node, std::string file, std::string path);

  // Fails unless the node is a mapping (or absent, which reads as empty).
  caf::error expect_map() const;

  // Fails naming every key that is neither in `known` nor accepted (one line each); keys in
  // `unsupported` fail with their reason.
  caf::error check_keys(std::initializer_list<const char*> known,
                        std::initializer_list<unsupported_key> unsupported = {}) const;

  // Takes the `tolerated` keys present out of this mapping (so check_keys does not see them),
  // adding a warning for each that has no effect; fails naming each with a refused value.
  caf::error take_tolerated(std::initializer_list<tolerated_key> tolerated,
                            std::vector<std::string>& warnings);

  bool has(const char* key) const;

  // Each read leaves `out` unchanged when the key is absent; `required` makes absence an error.
  caf::error read(const char* key, std::string& out, bool required = false) const;
  caf::error read(const char* key, bool& out) const;
  caf::error read(const char* key, uint16_t& out, uint16_t min = 0) const;
  caf::error read(const char* key, uint32_t& out, uint32_t min = 0) const;
  caf::error read(const char* key, int64_t& out, int64_t min = 0) const;
  // A Go duration as DM writes them ("5m0s", "1h", "30s", "200ms", "1.5s"), in milliseconds.
  caf::error read_duration(const char* key, int64_t& out_ms) const;
  // A list of strings (a single string reads as a list of one).
  caf::error read(const char* key, std::vector<std::string>& out) const;

  // The mapping under `key` (an empty one when absent).
  caf::expected<yaml_map> child(const char* key) const;

  // The mappings of the sequence under `key` (empty when absent); fails if it is not a sequence
  // of mappings.
  caf::expected<std::vector<yaml_map>> child_list(const char* key) const;

  // The (key, value) pairs of a mapping whose values are all scalars (DM's `session`); fails
  // naming each value that is not.
  caf::expected<std::vector<std::pair<std::string, std::string>>> scalar_entries() const;

  // The (name, mapping) pairs of a mapping of mappings (DM's `syncers: {global: {...}}`).
  caf::expected<std::vector<std::pair<std::string, yaml_map>>> named_children(
      const char* key) const;

  // "file: path.key" for messages.
  std::string where(const std::string& key) const;
  const std::string& file() const { return file_; }

 private:
  caf::error bad_value(const char* key, const std::string& expected) const;
  template <class T>
  caf::error read_integer(const char* key, T& out, long long min, long long max) const;

  YAML::Node node_;
  std::string file_;
  std::string path_;
};

// Parses `text` (the contents of `file`) into a document root; one-line error on bad YAML. A key
// given twice in one mapping is recorded in `problems` (YAML parsers keep one of the two
// silently).
caf::expected<yaml_map> parse_yaml_document(const std::string& text, const std::string& file,
                                            problem_list& problems);

// Checks that `id` is usable as a source id or task name: 1..64 characters from
// [A-Za-z0-9_.-]. `what` names it in the error ("source-id").
caf::error check_name(const std::string& id, const std::string& where);

}  // namespace dm::config
