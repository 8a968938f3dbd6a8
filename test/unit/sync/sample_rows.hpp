// Cells and a keyed table for the sync/ unit tests (causality, batch SQL, dispatcher).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "protocol/binlog/cell.hpp"
#include "protocol/table_schema.hpp"

namespace dm::test {

// A 4-byte integer cell.
inline binlog::cell int_cell(uint64_t v) {
  binlog::cell c;
  c.kind = binlog::cell_kind::integer;
  c.u = v;
  c.width = 4;
  return c;
}

inline binlog::cell str_cell(std::string v) {
  binlog::cell c;
  c.kind = binlog::cell_kind::string;
  c.text = std::move(v);
  return c;
}

// `d`.`t` (id, code): primary key id, unique key code.
inline std::shared_ptr<table_schema> keyed_table() {
  auto s = std::make_shared<table_schema>();
  s->db = "d";
  s->table = "t";
  s->columns = {{"id", false, "", false, 0, ""}, {"code", false, "utf8mb4", false, 0, ""}};
  s->primary_key = {0};
  s->unique_keys = {{1}};
  return s;
}

}  // namespace dm::test
