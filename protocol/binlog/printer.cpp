#include "protocol/binlog/printer.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

#include "protocol/binlog/json_binary.hpp"
#include "protocol/binlog/temporal.hpp"
#include "protocol/sql/quote.hpp"

namespace dm::binlog {

namespace {

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void append_signed(std::string& out, int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// mariadb-binlog's quoting: bytes below 0x20 as \xNN, everything else (quotes and backslashes
// included) as is.
void append_quoted(std::string& out, std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  out += '\'';
  size_t run = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20) continue;
    out.append(bytes.data() + run, i - run);
    out += "\\x";
    out += hex[c >> 4];
    out += hex[c & 15];
    run = i + 1;
  }
  out.append(bytes.data() + run, bytes.size() - run);
  out += '\'';
}

void append_bits(std::string& out, uint64_t value, unsigned nbits) {
  out += "b'";
  for (unsigned i = nbits; i-- > 0;) out += ((value >> i) & 1) ? '1' : '0';
  out += '\'';
}

std::string local_time(uint32_t timestamp) {
  std::time_t t = timestamp;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d%02d%02d %2d:%02d:%02d", tm.tm_year % 100, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

const char* rows_event_name(event_type t) {
  switch (t) {
    case event_type::write_rows_v1:
    case event_type::write_rows_v2:
    case event_type::write_rows_compressed_v1:
    case event_type::write_rows_compressed:
      return "Write_rows";
    case event_type::delete_rows_v1:
    case event_type::delete_rows_v2:
    case event_type::delete_rows_compressed_v1:
    case event_type::delete_rows_compressed:
      return "Delete_rows";
    default:
      return "Update_rows";
  }
}

void print_image(std::string& out, const std::vector<cell>& image, const table_map_event& table) {
  for (size_t i = 0; i < image.size(); ++i) {
    if (image[i].kind == cell_kind::absent) continue;
    out += "###   @";
    append_number(out, i + 1);
    out += '=';
    print_value(out, image[i], table.columns[i]);
    out += '\n';
  }
}

void print_description(std::string& out, const decoded_event& ev) {
  const auto& h = ev.view.header;
  auto& body = ev.body;
  if (auto* fde = std::get_if<format_description>(&body)) {
    out += "Start: binlog v " + std::to_string(fde->binlog_version) + ", server v " +
           fde->server_version + " created " + local_time(fde->create_timestamp) + "\n";
  } else if (auto* q = std::get_if<query_event>(&body)) {
    out += "Query\tthread_id=" + std::to_string(q->thread_id) +
           "\texec_time=" + std::to_string(q->exec_time) +
           "\terror_code=" + std::to_string(q->error_code);
    if (q->status.xid) out += "\txid=" + std::to_string(*q->status.xid);
    out += '\n';
    if (!q->db.empty()) {
      out += "use ";
      sql::append_identifier(out, q->db);
      out += "/*!*/;\n";
    }
    out += "SET TIMESTAMP=" + std::to_string(h.timestamp) + "/*!*/;\n";
    out += q->query + "\n/*!*/;\n";
  } else if (auto* x = std::get_if<xid_event>(&body)) {
    out += "Xid = " + std::to_string(x->xid) + "\nCOMMIT/*!*/;\n";
  } else if (auto* g = std::get_if<mariadb_gtid_event>(&body)) {
    out += "GTID " + to_string(g->gtid);
    if (g->flags & 0x20) out += " ddl";
    if (g->flags & 0x04) out += " trans";
    if (g->commit_id) out += " cid=" + std::to_string(*g->commit_id);
    out += "\n/*M!100001 SET @@session.gtid_seq_no=" + std::to_string(g->gtid.sequence) +
           "*//*!*/;\n";
    if (!g->standalone()) out += "START TRANSACTION\n/*!*/;\n";
  } else if (auto* gl = std::get_if<mariadb_gtid_list_event>(&body)) {
    out += "Gtid list [";
    for (size_t i = 0; i < gl->gtids.size(); ++i) out += (i ? ",\n# " : "") + to_string(gl->gtids[i]);
    out += "]\n";
  } else if (auto* mg = std::get_if<mysql_gtid_event>(&body)) {
    out += mg->anonymous ? "Anonymous_GTID" : "GTID";
    out += "\tlast_committed=" + std::to_string(mg->last_committed.value_or(0)) +
           "\tsequence_number=" + std::to_string(mg->sequence_number.value_or(0)) + "\n";
    if (!mg->anonymous)
      out += "SET @@SESSION.GTID_NEXT= '" + mg->uuid + ":" + std::to_string(mg->gno) + "'/*!*/;\n";
  } else if (auto* pg = std::get_if<previous_gtids_event>(&body)) {
    out += "Previous-GTIDs\n# " + pg->gtids.to_string() + "\n";
  } else if (auto* cp = std::get_if<binlog_checkpoint_event>(&body)) {
    out += "Binlog checkpoint " + cp->file + "\n";
  } else if (auto* rot = std::get_if<rotate_event>(&body)) {
    out += "Rotate to " + rot->next_file + "  pos: " + std::to_string(rot->position) + "\n";
  } else if (auto* a = std::get_if<annotate_rows_event>(&body)) {
    out += "Annotate_rows:\n";
    size_t start = 0;
    while (start <= a->query.size()) {
      auto end = a->query.find('\n', start);
      out += "#Q> " + a->query.substr(start, end == std::string::npos ? end : end - start) + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
  } else if (auto* t = std::get_if<table_map_event>(&body)) {
    out += "Table_map: ";
    out += sql::qualified_name(t->db, t->table);
    out += " mapped to number " + std::to_string(t->table_id) + "\n";
  } else if (auto* r = std::get_if<rows_event>(&body)) {
    out += rows_event_name(h.type);
    out += ": table id " + std::to_string(r->table_id);
    if (r->flags & 0x01) out += " flags: STMT_END_F";
    out += '\n';
  } else if (auto* iv = std::get_if<intvar_event>(&body)) {
    out += "Intvar\nSET ";
    out += iv->kind == 1 ? "LAST_INSERT_ID" : "INSERT_ID";
    out += "=" + std::to_string(iv->value) + "/*!*/;\n";
  } else if (auto* rd = std::get_if<rand_event>(&body)) {
    out += "Rand\nSET @@RAND_SEED1=" + std::to_string(rd->seed1) +
           ", @@RAND_SEED2=" + std::to_string(rd->seed2) + "/*!*/;\n";
  } else if (auto* uv = std::get_if<user_var_event>(&body)) {
    out += "User_var\nSET @";
    sql::append_identifier(out, uv->name);
    out += uv->is_null ? ":=NULL" : ":=<" + std::to_string(uv->value.size()) + " bytes>";
    out += "/*!*/;\n";
  } else if (auto* xa = std::get_if<xa_prepare_event>(&body)) {
    out += "XA PREPARE ";
    append_quoted(out, xa->gtrid);
    out += ",";
    append_quoted(out, xa->bqual);
    out += "," + std::to_string(xa->format_id) + "\n";
  } else if (auto* inc = std::get_if<incident_event>(&body)) {
    out += "Incident: " + std::to_string(inc->kind) + " " + inc->message + "\n";
  } else if (auto* blq = std::get_if<begin_load_query_event>(&body)) {
    out += "Begin_load_query: file_id " + std::to_string(blq->file_id) + ", " +
           std::to_string(blq->block.size()) + " bytes\n";
  } else if (auto* elq = std::get_if<execute_load_query_event>(&body)) {
    out += "Execute_load_query: file_id " + std::to_string(elq->file_id) + "\n" +
           elq->query.query + "\n/*!*/;\n";
  } else {
    out += event_type_name(h.type);
    out += '\n';
  }
}

}  // namespace

void print_value(std::string& out, const cell& value, const column_meta& column) {
  switch (value.kind) {
    case cell_kind::absent:
      break;
    case cell_kind::null:
      out += "NULL";
      break;
    case cell_kind::integer: {
      if (column.is_unsigned.value_or(false)) {
        append_number(out, value.u);
        break;
      }
      auto v = value.as_signed();
      append_signed(out, v);
      if (v < 0) {
        out += " (";
        append_number(out, value.u);
        out += ')';
      }
      break;
    }
    case cell_kind::float32: {
      char buf[32];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<float>(value.d)).ptr);
      break;
    }
    case cell_kind::float64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%-.20g", value.d);
      out += buf;
      break;
    }
    case cell_kind::decimal:
      out += value.text;
      break;
    case cell_kind::year:
      append_padded(out, value.u % 10000, 4);
      break;
    case cell_kind::date:
      // mariadb-binlog separates date parts with colons.
      out += '\'';
      append_date(out, value, ':');
      out += '\'';
      break;
    case cell_kind::time:
      out += '\'';
      append_time(out, value);
      out += '\'';
      break;
    case cell_kind::datetime:
      out += '\'';
      append_datetime(out, value);
      out += '\'';
      break;
    case cell_kind::timestamp:
      append_number(out, value.u);
      append_fraction(out, value.frac, value.width);
      break;
    case cell_kind::string:
      append_quoted(out, value.text);
      break;
    case cell_kind::enum_index:
      append_number(out, value.u);
      break;
    case cell_kind::set_bits: {
      // Bytes in storage order (least significant first), each most significant bit first.
      out += "b'";
      for (unsigned byte = 0; byte < value.width; ++byte)
        for (int bit = 7; bit >= 0; --bit) out += ((value.u >> (8 * byte + bit)) & 1) ? '1' : '0';
      out += '\'';
      break;
    }
    case cell_kind::bit: {
      unsigned nbits = (column.meta >> 8) * 8 + (column.meta & 0xff);
      append_bits(out, value.u, nbits);
      break;
    }
    case cell_kind::json_binary: {
      auto text = json_binary_to_text(value.text);
      if (text) append_quoted(out, *text);
      else out += "***malformed binary JSON***";
      break;
    }
  }
}

void print_rows(std::string& out, const rows_event& ev, const table_map_event& table,
                const std::vector<row_change>& rows) {
  auto name = sql::qualified_name(table.db, table.table);
  for (auto& row : rows) {
    switch (ev.kind) {
      case rows_kind::write:
        out += "### INSERT INTO " + name + "\n### SET\n";
        print_image(out, row.after, table);
        break;
      case rows_kind::delete_:
        out += "### DELETE FROM " + name + "\n### WHERE\n";
        print_image(out, row.before, table);
        break;
      case rows_kind::update:
        out += "### UPDATE " + name + "\n### WHERE\n";
        print_image(out, row.before, table);
        out += "### SET\n";
        print_image(out, row.after, table);
        break;
    }
  }
}

void print_event(std::string& out, const decoded_event& ev, uint64_t position) {
  const auto& h = ev.view.header;
  out += "# at " + std::to_string(position) + "\n#" + local_time(h.timestamp) + " server id " +
         std::to_string(h.server_id) + "  end_log_pos " + std::to_string(h.log_pos) + " ";
  auto body_end = ev.view.body.data() + ev.view.body.size();
  auto raw_end = ev.view.raw.data() + ev.view.raw.size();
  if (raw_end - body_end == 4) {
    uint32_t crc = 0;
    for (int i = 3; i >= 0; --i) crc = (crc << 8) | static_cast<uint8_t>(body_end[i]);
    char buf[24];
    std::snprintf(buf, sizeof buf, "CRC32 0x%08x ", crc);
    out += buf;
  }
  out += '\t';
  print_description(out, ev);
}

}  // namespace dm::binlog
