// How the dumper reads a table's rows and writes them for the loader, exactly. The SELECT list
// reads every value in a form whose text is lossless (FLOAT widened to DOUBLE, BIT, ENUM and
// SET as their numbers). Rows are written in LOAD DATA's text format: one line per row, fields
// separated by TAB, NULL as \N, and backslash, TAB, newline, carriage return and NUL escaped
// with a backslash; the bytes are the stored bytes (CHARACTER SET binary). The loader's LOAD
// DATA names the columns with load_column_clause, which turns the numbers of BIT, ENUM and SET
// back into their values. Key bounds of chunks are SQL literals (append_dump_value; strings as
// hexadecimal literals with their charset, so that a bound is plain ASCII whatever its bytes).
//
// The reading session must use `SET NAMES binary` (values arrive as stored, unconverted) and
// time_zone '+00:00', like the loading session (protocol/downstream_session.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/table_schema.hpp"

namespace dm::sql {

// The columns a dump reads and writes: every column that is not generated, in table order.
std::vector<size_t> dumped_columns(const table_schema& schema);

// "expr,expr,..." reading `columns` of `schema` (from load_table_schema, which sets data_type).
std::string dump_select_list(const table_schema& schema, const std::vector<size_t>& columns);

// "(`a`,@dm2,...) SET `b` = CAST(@dm2 AS UNSIGNED), ...": the column list and SET clause of a
// LOAD DATA that stores the fields append_load_field wrote for `columns` into those columns,
// and `constant_columns` (table_schema) into theirs.
std::string load_column_clause(
    const table_schema& schema, const std::vector<size_t>& columns,
    const std::vector<std::pair<std::string, std::string>>& constant_columns = {});

// The LOAD DATA options that read append_load_field's format.
inline constexpr std::string_view load_format =
    R"(CHARACTER SET binary FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n')";

// Appends `value` (nullopt: NULL), as read by dump_select_list, as one field of a data line.
void append_load_field(std::string& out, std::optional<std::string_view> value);

// Appends the SQL literal for `value` (nullopt: NULL) as read by dump_select_list for `column`.
void append_dump_value(std::string& out, std::optional<std::string_view> value,
                       const column_def& column);

// A condition selecting rows whose key (the columns `key` of `schema`, none NULL) is after the
// tuple `lower` (exclusive) and up to `upper` (inclusive); an empty tuple leaves that side open.
// Tuples hold literals made by append_dump_value. Written as nested OR/AND so that the range
// optimizer uses the key's index.
std::string key_range_condition(const table_schema& schema, const std::vector<size_t>& key,
                                const std::vector<std::string>& lower,
                                const std::vector<std::string>& upper);

// `name` with every byte outside [A-Za-z0-9_-] written as %XX, for file names.
std::string file_name_part(std::string_view name);

}  // namespace dm::sql
