// Quoting of SQL identifiers and string literals for MySQL-dialect servers (MariaDB, TiDB).
//
// Contract for literals: the output is correct on a connection whose character set is utf8mb4
// and whose sql_mode does not contain NO_BACKSLASH_ESCAPES (the appliers set both). Escaping is
// byte-wise, which is safe for any column charset because utf8mb4's lexer never takes a quote or
// backslash byte as part of a multi-byte character; the introducer then tells the server the
// bytes' real charset.
#pragma once

#include <string>
#include <string_view>

namespace dm::sql {

// Appends `name` as a backtick-quoted identifier (backticks doubled).
void append_identifier(std::string& out, std::string_view name);

// `db`.`table`
std::string qualified_name(std::string_view db, std::string_view table);

// Appends `bytes` as a quoted string literal, escaping NUL, quote, backslash, CR, LF and ^Z.
void append_escaped(std::string& out, std::string_view bytes);

// Appends `bytes` as a string literal with a charset introducer ("_utf8mb4'...'"); `charset` is
// a server charset name ("binary" for binary strings), empty for none.
void append_string_literal(std::string& out, std::string_view bytes, std::string_view charset);

// The same as a hexadecimal literal ("_latin1 X'E9'"): plain ASCII whatever the bytes, for SQL
// text that is kept or logged (the key bounds of dump chunks).
void append_hex_literal(std::string& out, std::string_view bytes, std::string_view charset);

}  // namespace dm::sql
