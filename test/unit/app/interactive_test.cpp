#include <boost/test/unit_test.hpp>

#include "app/dmctl/interactive.hpp"

using dm::dmctl::split_command_line;
using words = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(interactive_test)

BOOST_AUTO_TEST_CASE(command_lines_split_like_a_shell) {
  BOOST_CHECK(*split_command_line("") == words{});
  BOOST_CHECK(*split_command_line("  query-status\tmy-task  ") == (words{"query-status", "my-task"}));
  BOOST_CHECK(*split_command_line(R"(handle-error t replace "ALTER TABLE a ADD c INT; SELECT 'x'")") ==
              (words{"handle-error", "t", "replace", "ALTER TABLE a ADD c INT; SELECT 'x'"}));
  BOOST_CHECK(*split_command_line(R"(encrypt --secret-key-path k 'it''s "q" \n')") ==
              (words{"encrypt", "--secret-key-path", "k", R"(its "q" \n)"}));
  BOOST_CHECK(*split_command_line(R"(a\ b "" c\"d)") == (words{"a b", "", "c\"d"}));
  BOOST_CHECK(!split_command_line("stop-task 'unclosed"));
  BOOST_CHECK(!split_command_line("say \"unclosed"));
}

BOOST_AUTO_TEST_SUITE_END()
