// A corpus of broken configs made from the example files in deploy/examples: every file cut
// short, bytes flipped, lines doubled or dropped, scalars replaced by wrong types, huge numbers,
// huge strings and bytes that are not UTF-8. Each parse must either succeed or fail with one
// line (ec::invalid_config, naming the file); none may throw or crash.
#include <fstream>
#include <random>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "app/config/source_yaml.hpp"
#include "app/config/task_yaml.hpp"
#include "app/config/worker_toml.hpp"
#include "common/error.hpp"

using namespace dm;
using namespace dm::config;

namespace {

std::string read_example(const std::string& name) {
  std::ifstream in{std::string{DM_EXAMPLES_DIR} + "/" + name};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in{text};
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

// Values that are wrong somewhere: types, sizes, encodings.
const std::vector<std::string> odd_values = {
    "99999999999999999999999999", "-1", "1e309", "0x7fffffff", "[]", "{}", "~", "true",
    "\"\xff\xfe\xc3\"", "'\x80\x81'", "\"\\u0000\"", "&anchor", "*alias", "!!binary x", "\"",
    "[1, [2, [3, [4]]]]", "18446744073709551616", "-9223372036854775809", "nan", ".inf"};

// One deterministic random mutation of `text`.
std::string mutate(const std::string& text, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>{0, n - 1}(rng); };
  auto lines = lines_of(text);
  switch (pick(6)) {
    case 0:  // cut short
      return text.substr(0, pick(text.size() + 1));
    case 1: {  // flip bytes
      auto out = text;
      for (int i = 0; i < 3 && !out.empty(); ++i) out[pick(out.size())] = static_cast<char>(pick(256));
      return out;
    }
    case 2: {  // a line doubled, or dropped
      if (lines.empty()) return text;
      auto at = pick(lines.size());
      if (pick(2)) lines.insert(lines.begin() + at, lines[at]);
      else lines.erase(lines.begin() + at);
      return joined(lines);
    }
    case 3: {  // a scalar replaced by an odd value
      auto at = pick(lines.size());
      auto sep = lines[at].find_first_of(":=");
      if (sep == std::string::npos) return text;
      lines[at] = lines[at].substr(0, sep + 1) + " " + odd_values[pick(odd_values.size())];
      return joined(lines);
    }
    case 4: {  // a large value (64 KiB)
      auto at = pick(lines.size());
      auto sep = lines[at].find_first_of(":=");
      if (sep == std::string::npos) return text;
      lines[at] = lines[at].substr(0, sep + 1) + " \"" + std::string(1 << 16, 'x') + "\"";
      return joined(lines);
    }
    default: {  // deep nesting
      std::string deep(2000, '[');
      return text + "\nnested: " + deep + "\n";
    }
  }
}

// Runs `parse`; an exception (which would end dm-worker) fails the test, showing the input.
template <class Parse>
auto without_throwing(const Parse& parse, const std::string& file, const std::string& input) {
  try {
    return parse();
  } catch (const std::exception& e) {
    BOOST_FAIL(file << ": the parser threw " << e.what() << " on:\n" << input.substr(0, 3000));
    throw;
  }
}

// A parse result: fine, or one line of ec::invalid_config naming `file`.
template <class T>
void check_outcome(const caf::expected<T>& r, const std::string& file, const std::string& input) {
  if (r) return;
  auto text = describe(r.error());
  BOOST_CHECK_MESSAGE(code_of(r.error()) == ec::invalid_config,
                      file << ": " << text << " for input:\n" << input.substr(0, 500));
  // One line per problem, each naming the file.
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    BOOST_CHECK_MESSAGE(line.rfind(file + ":", 0) == 0, "does not name " << file << ": " << line);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_corpus)

BOOST_AUTO_TEST_CASE(broken_configs_fail_with_one_line_and_never_crash) {
  std::mt19937_64 rng{20261122};
  const auto worker = read_example("worker.toml");
  const auto source = read_example("source.yaml");
  const auto task = read_example("task.yaml");
  BOOST_REQUIRE(!worker.empty() && !source.empty() && !task.empty());
  size_t parsed = 0, refused = 0;
  for (int i = 0; i < 1500; ++i) {
    auto w = mutate(worker, rng);
    std::vector<std::string> warnings;
    auto rw = without_throwing([&] { return parse_worker_toml(w, "worker.toml", warnings); },
                               "worker.toml", w);
    check_outcome(rw, "worker.toml", w);
    auto s = mutate(source, rng);
    auto rs = without_throwing([&] { return parse_source_yaml(s, "source.yaml", warnings); },
                               "source.yaml", s);
    check_outcome(rs, "source.yaml", s);
    auto t = mutate(task, rng);
    auto rt = without_throwing([&] { return parse_task_yaml(t, "task.yaml", warnings); }, "task.yaml",
                               t);
    check_outcome(rt, "task.yaml", t);
    for (bool ok : {bool(rw), bool(rs), bool(rt)}) ++(ok ? parsed : refused);
  }
  BOOST_TEST_MESSAGE("config corpus: " << parsed << " variants parsed, " << refused << " refused");
  // The mutations must actually break files (else the test checks nothing).
  BOOST_CHECK_GT(refused, 1500u);
}

BOOST_AUTO_TEST_SUITE_END()
