#include "protocol/binlog/event_type.hpp"

namespace dm::binlog {

const char* event_type_name(event_type t) {
  switch (t) {
    case event_type::start_v3: return "Start_v3";
    case event_type::query: return "Query";
    case event_type::stop: return "Stop";
    case event_type::rotate: return "Rotate";
    case event_type::intvar: return "Intvar";
    case event_type::load: return "Load";
    case event_type::slave: return "Slave";
    case event_type::create_file: return "Create_file";
    case event_type::append_block: return "Append_block";
    case event_type::exec_load: return "Exec_load";
    case event_type::delete_file: return "Delete_file";
    case event_type::new_load: return "New_load";
    case event_type::rand: return "RAND";
    case event_type::user_var: return "User var";
    case event_type::format_description: return "Format_desc";
    case event_type::xid: return "Xid";
    case event_type::begin_load_query: return "Begin_load_query";
    case event_type::execute_load_query: return "Execute_load_query";
    case event_type::table_map: return "Table_map";
    case event_type::pre_ga_write_rows: return "Write_rows_event_old";
    case event_type::pre_ga_update_rows: return "Update_rows_event_old";
    case event_type::pre_ga_delete_rows: return "Delete_rows_event_old";
    case event_type::write_rows_v1: return "Write_rows_v1";
    case event_type::update_rows_v1: return "Update_rows_v1";
    case event_type::delete_rows_v1: return "Delete_rows_v1";
    case event_type::incident: return "Incident";
    case event_type::heartbeat: return "Heartbeat";
    case event_type::ignorable: return "Ignorable";
    case event_type::rows_query: return "Rows_query";
    case event_type::write_rows_v2: return "Write_rows";
    case event_type::update_rows_v2: return "Update_rows";
    case event_type::delete_rows_v2: return "Delete_rows";
    case event_type::mysql_gtid: return "Gtid";
    case event_type::mysql_anonymous_gtid: return "Anonymous_Gtid";
    case event_type::previous_gtids: return "Previous_gtids";
    case event_type::transaction_context: return "Transaction_context";
    case event_type::view_change: return "View_change";
    case event_type::xa_prepare: return "XA_prepare";
    case event_type::partial_update_rows: return "Update_rows_partial";
    case event_type::transaction_payload: return "Transaction_payload";
    case event_type::heartbeat_v2: return "Heartbeat_v2";
    case event_type::annotate_rows: return "Annotate_rows";
    case event_type::binlog_checkpoint: return "Binlog_checkpoint";
    case event_type::mariadb_gtid: return "Gtid";
    case event_type::mariadb_gtid_list: return "Gtid_list";
    case event_type::start_encryption: return "Start_encryption";
    case event_type::query_compressed: return "Query_compressed";
    case event_type::write_rows_compressed_v1: return "Write_rows_compressed_v1";
    case event_type::update_rows_compressed_v1: return "Update_rows_compressed_v1";
    case event_type::delete_rows_compressed_v1: return "Delete_rows_compressed_v1";
    case event_type::write_rows_compressed: return "Write_rows_compressed";
    case event_type::update_rows_compressed: return "Update_rows_compressed";
    case event_type::delete_rows_compressed: return "Delete_rows_compressed";
    default: return "Unknown";
  }
}

bool is_rows_event(event_type t) {
  switch (t) {
    case event_type::write_rows_v1:
    case event_type::update_rows_v1:
    case event_type::delete_rows_v1:
    case event_type::write_rows_v2:
    case event_type::update_rows_v2:
    case event_type::delete_rows_v2:
    case event_type::partial_update_rows:
    case event_type::write_rows_compressed_v1:
    case event_type::update_rows_compressed_v1:
    case event_type::delete_rows_compressed_v1:
    case event_type::write_rows_compressed:
    case event_type::update_rows_compressed:
    case event_type::delete_rows_compressed:
      return true;
    default:
      return false;
  }
}

}  // namespace dm::binlog
