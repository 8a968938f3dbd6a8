#include "sync/row_images.hpp"

namespace dm {

namespace {

void pad(const table_schema& schema, std::vector<binlog::cell>& image) {
  for (size_t i = 0; i < image.size() && i < schema.columns.size(); ++i) {
    auto length = schema.columns[i].binary_length;
    auto& cell = image[i];
    if (length == 0 || cell.kind != binlog::cell_kind::string || cell.text.size() >= length)
      continue;
    cell.text.append(length - cell.text.size(), '\0');
  }
}

}  // namespace

void restore_binary_padding(const table_schema& schema, std::vector<binlog::row_change>& rows) {
  bool any = false;
  for (auto& c : schema.columns) any |= c.binary_length > 0;
  if (!any) return;
  for (auto& change : rows) {
    pad(schema, change.before);
    pad(schema, change.after);
  }
}

}  // namespace dm
