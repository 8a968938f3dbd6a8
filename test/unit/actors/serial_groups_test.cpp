// Serial groups (apply_marks.hpp): which tables foreign keys group together, how a group's
// changes are keyed for causality and rendered (in order, foreign key checks as logged, never in
// safe mode), and the SQL of its exactly-once marks.
#include <boost/test/unit_test.hpp>

#include "actors/apply_marks.hpp"
#include "actors/batch_sql.hpp"
#include "actors/causality.hpp"
#include "actors/fk_groups.hpp"

using namespace dm;
using binlog::cell;
using binlog::cell_kind;

namespace {

cell int_cell(uint64_t v) {
  cell c;
  c.kind = cell_kind::integer;
  c.u = v;
  c.width = 4;
  return c;
}

std::shared_ptr<table_schema> id_table(const std::string& name) {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = name;
  s->columns = {{"id", false, "", false, 0, ""}, {"v", false, "", false, 0, ""}};
  s->primary_key = {0};
  return s;
}

// A change to `d`.`name`, in the foreign-key group "g" (with checks `fk_checks`) or in none.
row_job job(const std::shared_ptr<table_schema>& schema, binlog::rows_kind kind, uint64_t id,
            bool fk_table, bool fk_checks = true) {
  row_job j;
  j.schema = schema;
  j.target = "`d`.`" + schema->table + "`";
  j.kind = kind;
  std::vector<cell> image{int_cell(id), int_cell(id * 10)};
  if (kind != binlog::rows_kind::write) j.before = image;
  if (kind != binlog::rows_kind::delete_) j.after = image;
  if (fk_table) {
    j.serial_group = std::make_shared<const std::string>("g");
    j.fk_table = true;
    j.fk_checks = fk_checks;
  }
  j.safe = true;  // the syncer's safe mode; groups must ignore it
  return j;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(serial_groups_test)

BOOST_AUTO_TEST_CASE(tables_linked_by_any_chain_of_foreign_keys_form_one_group) {
  struct row {
    const char* what;
    std::vector<fk_edge> edges;
    std::map<std::string, std::string> groups;
  };
  const std::vector<row> table = {
      {"no foreign keys", {}, {}},
      {"a chain of three levels",
       {{"`d`.`child`", "`d`.`parent`"}, {"`d`.`grand`", "`d`.`child`"}},
       {{"`d`.`child`", "foreign keys of `d`.`child`"},
        {"`d`.`grand`", "foreign keys of `d`.`child`"},
        {"`d`.`parent`", "foreign keys of `d`.`child`"}}},
      {"a table referencing itself", {{"`d`.`tree`", "`d`.`tree`"}},
       {{"`d`.`tree`", "foreign keys of `d`.`tree`"}}},
      {"two parents of one child across databases, and a separate pair",
       {{"`a`.`c`", "`b`.`p1`"}, {"`a`.`c`", "`a`.`p2`"}, {"`z`.`y`", "`z`.`x`"}},
       {{"`a`.`c`", "foreign keys of `a`.`c`"},
        {"`a`.`p2`", "foreign keys of `a`.`c`"},
        {"`b`.`p1`", "foreign keys of `a`.`c`"},
        {"`z`.`x`", "foreign keys of `z`.`x`"},
        {"`z`.`y`", "foreign keys of `z`.`x`"}}},
      {"names differing only in case are different tables", {{"`d`.`T`", "`d`.`P`"}},
       {{"`d`.`P`", "foreign keys of `d`.`P`"}, {"`d`.`T`", "foreign keys of `d`.`P`"}}},
  };
  for (auto& r : table) BOOST_CHECK_MESSAGE(fk_groups(r.edges) == r.groups, r.what);
}

BOOST_AUTO_TEST_CASE(a_group_key_is_no_row_key) {
  auto s = id_table("t");
  std::vector<std::string> keys;
  append_causality_keys(*s, "`d`.`t`", {int_cell(1), int_cell(2)}, keys);
  keys.push_back("`d`.`t`");  // a keyless table's own key
  for (auto& k : keys) BOOST_CHECK(serial_group_key("`d`.`t`") != k);
  BOOST_CHECK(serial_group_key("a") != serial_group_key("A"));
}

BOOST_AUTO_TEST_CASE(foreign_key_groups_are_written_in_order_with_their_checks) {
  using binlog::rows_kind;
  auto parent = id_table("parent"), child = id_table("child"), other = id_table("other");
  struct row {
    const char* what;
    std::vector<row_job> jobs;
    bool force_safe;
    std::vector<std::string> statements;
  };
  const std::vector<row> table = {
      {"checks on around the group's changes, in binlog order, never REPLACE",
       {job(parent, rows_kind::write, 1, true), job(child, rows_kind::write, 7, true),
        job(parent, rows_kind::delete_, 1, true), job(parent, rows_kind::write, 1, true)},
       true,
       {"SET SESSION foreign_key_checks = 1",
        "INSERT INTO `d`.`parent` (`id`,`v`) VALUES (1,10)",
        "INSERT INTO `d`.`child` (`id`,`v`) VALUES (7,70)",
        "DELETE FROM `d`.`parent` WHERE `id`=1 LIMIT 1",
        "INSERT INTO `d`.`parent` (`id`,`v`) VALUES (1,10)", "SET SESSION foreign_key_checks = 0"}},
      {"changes the upstream made with checks off stay without them",
       {job(parent, rows_kind::write, 2, true, false), job(child, rows_kind::write, 3, true)},
       false,
       {"INSERT INTO `d`.`parent` (`id`,`v`) VALUES (2,20)", "SET SESSION foreign_key_checks = 1",
        "INSERT INTO `d`.`child` (`id`,`v`) VALUES (3,30)", "SET SESSION foreign_key_checks = 0"}},
      {"a keyed table beside the group keeps its safe mode and its checks off",
       {job(other, rows_kind::write, 4, false), job(parent, rows_kind::update, 5, true)}, false,
       {"SET SESSION foreign_key_checks = 1",
        "UPDATE `d`.`parent` SET `id`=5,`v`=50 WHERE `id`=5 LIMIT 1",
        "SET SESSION foreign_key_checks = 0", "REPLACE INTO `d`.`other` (`id`,`v`) VALUES (4,40)"}},
  };
  for (auto& r : table) {
    job_batch batch;
    batch.jobs = r.jobs;
    auto rendered = render_batch(batch, r.force_safe, 1 << 20);
    BOOST_REQUIRE(rendered);
    BOOST_CHECK_MESSAGE(rendered->statements == r.statements, r.what);
    if (rendered->statements != r.statements)
      for (auto& s : rendered->statements) BOOST_TEST_MESSAGE("  got: " << s);
  }
}

BOOST_AUTO_TEST_CASE(marks_carry_the_run_and_compare_names_as_bytes) {
  meta_scope scope{"dm_meta", "task", "src"};
  change_origin origin{{1, 2, 345}, 6};
  auto sql = apply_mark_sql(scope, 99, "`d`.`T`", origin);
  BOOST_CHECK_EQUAL(sql,
                    "INSERT INTO `dm_meta`.`apply_marks` (task, source, grp, run, segment, "
                    "file_index, event_offset, row_index) VALUES ('task','src','`d`.`T`',99,1,2,"
                    "345,6) ON DUPLICATE KEY UPDATE run=VALUES(run), segment=VALUES(segment), "
                    "file_index=VALUES(file_index), event_offset=VALUES(event_offset), "
                    "row_index=VALUES(row_index)");
  // Every name column of the meta tables is binary.
  for (auto& ddl : meta_tables_ddl("dm_meta")) {
    BOOST_CHECK(ddl.find("VARCHAR") == std::string::npos);
    BOOST_CHECK(ddl.find("CHARSET") == std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
