// libFuzzer target over the binlog decoder: the input is read as a binlog stream (events laid
// end to end after an optional magic header), decoded in order with checksums verified or not
// (first byte), row images decoded against their table maps, values rendered to SQL, binary
// JSON converted. Any input must give values or errors, never undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/binlog/event_header.hpp"
#include "protocol/binlog/json_binary.hpp"
#include "protocol/binlog/rows_event.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "protocol/binlog/transaction_tracker.hpp"
#include "protocol/sql/dml.hpp"
#include "protocol/sql/literal.hpp"

using namespace dm;
using namespace dm::binlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool verify = data[0] & 1;
  auto alg = (data[0] & 2) ? checksum_alg::crc32 : checksum_alg::off;
  std::string_view input{reinterpret_cast<const char*>(data + 1), size - 1};
  json_binary_to_text(input);
  if (input.substr(0, 4) == binlog_magic) input.remove_prefix(4);
  stream_decoder decoder{alg, verify};
  transaction_tracker tracker;
  column_def column;
  column.charset = "utf8mb4";
  size_t pos = 0;
  while (pos + header_size <= input.size()) {
    auto rest = input.substr(pos);
    auto header = parse_header(rest);
    if (!header) break;
    auto raw = rest.substr(0, header->event_size);
    pos += header->event_size;
    auto ev = decoder.decode(raw);
    if (!ev) continue;
    tracker.observe(ev->view, decoder.format());
    if (auto* rows = std::get_if<rows_event>(&ev->body)) {
      auto changes = decode_rows(*rows, *ev->table);
      if (!changes) continue;
      std::string sql;
      for (auto& change : *changes)
        for (auto* image : {&change.before, &change.after})
          for (auto& value : *image)
            if (value.kind != cell_kind::absent) sql::append_literal(sql, value, column);
    }
  }
  return 0;
}
