#include "app/config/dump_args.hpp"

#include <algorithm>
#include <charconv>

namespace dm::config {

namespace {

enum class effect { threads, rows, consistency, no_effect, refused };

struct dump_option {
  // Spellings, e.g. {"-t", "--threads"}.
  std::vector<const char*> names;
  bool takes_value;
  effect what;
  // For no_effect and refused: why.
  const char* why;
};

const std::vector<dump_option>& options() {
  static const char* rules_say =
      "the task's block-allow-list chooses the tables for the copy and the sync alike; use it";
  static const std::vector<dump_option> list = {
      {{"-t", "--threads"}, true, effect::threads, nullptr},
      {{"-r", "--rows"}, true, effect::rows, nullptr},
      {{"--consistency"}, true, effect::consistency, nullptr},
      {{"-F", "--filesize", "--chunk-filesize"}, true, effect::no_effect,
       "chunks are sized by rows"},
      {{"-s", "--statement-size"}, true, effect::no_effect,
       "statements are sized by the downstream's max_allowed_packet"},
      {{"--tz-utc", "--skip-tz-utc"}, false, effect::no_effect,
       "dumps are always read and written in UTC"},
      {{"-c", "--compress", "--compress-protocol"}, false, effect::no_effect,
       "dump files are the worker's own"},
      {{"--filetype", "--csv-separator", "--csv-delimiter", "--csv-null-value", "-o",
        "--output", "-L", "--logfile", "--output-filename-template"},
       true, effect::no_effect, "dump files are the worker's own"},
      {{"--complete-insert", "--escape-backslash", "--no-header", "-v", "--verbose",
        "--build-empty-files", "--trx-consistency-only", "--less-locking", "--no-locks"},
       false, effect::no_effect, "the worker reads the dump itself"},
      {{"--long-query-guard", "--params", "--session-params", "--dump-empty-database"}, true,
       effect::no_effect, "the worker reads the dump itself"},
      {{"-B", "--database", "-T", "--tables-list", "-f", "--filter", "-x", "--regex"}, true,
       effect::refused, rules_say},
      {{"--where"}, true, effect::refused,
       "a WHERE on the copy would leave the downstream different from the upstream"},
      {{"--sql"}, true, effect::refused, "the copy reads whole tables"},
      {{"-m", "--no-schemas", "-d", "--no-data", "-W", "--no-views", "--no-schema",
        "--no-sequences"},
       false, effect::refused, "the copy creates every replicated table with its rows"},
  };
  return list;
}

// Splits like a shell: blanks separate words, '...' and "..." group (without the quotes).
std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

bool positive(const std::string& text, uint32_t& out) {
  uint32_t v = 0;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (err != std::errc{} || ptr != text.data() + text.size() || v == 0) return false;
  out = v;
  return true;
}

}  // namespace

void apply_dump_args(const std::string& text, const std::string& where, dumper_config& out,
                     problem_list& problems, std::vector<std::string>& warnings) {
  auto words = split_words(text);
  for (size_t i = 0; i < words.size(); ++i) {
    auto word = words[i];
    std::string value;
    bool has_value = false;
    if (auto eq = word.find('='); word.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = word.substr(eq + 1);
      word = word.substr(0, eq);
      has_value = true;
    }
    auto option = std::find_if(options().begin(), options().end(), [&](const dump_option& o) {
      return std::any_of(o.names.begin(), o.names.end(),
                         [&](const char* n) { return word == n; });
    });
    if (option == options().end()) {
      problems.add(where + ": '" + word + "' is not an option dm-worker knows; remove it");
      continue;
    }
    if (option->takes_value && !has_value) {
      if (i + 1 >= words.size()) {
        problems.add(where + ": '" + word + "' needs a value");
        continue;
      }
      value = words[++i];
    }
    switch (option->what) {
      case effect::threads:
        if (!positive(value, out.threads) || out.threads > 128)
          problems.add(where + ": " + word + " must be 1..128, got '" + value + "'");
        break;
      case effect::rows:
        if (!positive(value, out.rows))
          problems.add(where + ": " + word + " must be a positive number of rows, got '" +
                       value + "'");
        break;
      case effect::consistency:
        // flush (FLUSH TABLES WITH READ LOCK) and lock both give one point for every table;
        // none and snapshot take no lock (each connection its own snapshot, replayed in safe
        // mode).
        if (value == "flush" || value == "auto" || value == "lock")
          out.consistency = dump_consistency::flush;
        else if (value == "none" || value == "snapshot")
          out.consistency = dump_consistency::none;
        else
          problems.add(where + ": --consistency '" + value +
                       "' is not known; use auto, flush, lock, snapshot or none");
        break;
      case effect::no_effect:
        warnings.push_back(where + ": " + word + " has no effect here: " + option->why);
        break;
      case effect::refused:
        problems.add(where + ": " + word + " is not supported: " + option->why);
        break;
    }
  }
}

}  // namespace dm::config
