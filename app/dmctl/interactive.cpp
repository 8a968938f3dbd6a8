#include "app/dmctl/interactive.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include <editline/readline.h>
#include <unistd.h>

namespace dm::dmctl {

std::optional<std::vector<std::string>> split_command_line(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
      else word += c;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else if (quote == '"') {
      if (c == '"') quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) words.push_back(std::move(word));
  return words;
}

namespace {

// One line of input; nullopt at the end. On a terminal: line editing and history.
std::optional<std::string> next_line(bool terminal) {
  if (!terminal) {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
  char* raw = readline("dmctl> ");
  if (!raw) return std::nullopt;
  std::string line{raw};
  std::free(raw);
  if (!line.empty()) add_history(line.c_str());
  return line;
}

}  // namespace

int run_interactive(const std::function<int(const std::vector<std::string>&)>& run) {
  bool terminal = ::isatty(STDIN_FILENO) != 0;
  std::string history;
  if (terminal) {
    if (const char* home = std::getenv("HOME")) history = std::string{home} + "/.dmctl_history";
    using_history();
    if (!history.empty()) read_history(history.c_str());
  }
  int last = 0;
  while (auto line = next_line(terminal)) {
    auto words = split_command_line(*line);
    if (!words) {
      std::cerr << "dmctl: a quote is not closed in: " << *line << std::endl;
      last = 1;
      continue;
    }
    if (words->empty()) continue;
    if (words->front() == "exit" || words->front() == "quit") break;
    last = run(*words);
    std::cout.flush();
  }
  if (terminal && !history.empty()) write_history(history.c_str());
  return last;
}

}  // namespace dm::dmctl
