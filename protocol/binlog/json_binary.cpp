#include "protocol/binlog/json_binary.hpp"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "protocol/base64.hpp"
#include "protocol/binlog/byte_reader.hpp"
#include "protocol/binlog/decimal.hpp"
#include "common/error.hpp"

namespace dm::binlog {

namespace {

enum json_type : uint8_t {
  small_object = 0x00,
  large_object = 0x01,
  small_array = 0x02,
  large_array = 0x03,
  literal = 0x04,
  int16 = 0x05,
  uint16 = 0x06,
  int32 = 0x07,
  uint32 = 0x08,
  int64 = 0x09,
  uint64 = 0x0a,
  double_ = 0x0b,
  string = 0x0c,
  opaque = 0x0f,
};

constexpr int max_depth = 100;

struct failure {};

class json_writer {
 public:
  explicit json_writer(std::string_view doc) : doc_(doc) {}

  void document() {
    if (doc_.empty()) fail();
    value(static_cast<uint8_t>(doc_[0]), 1, doc_.size() - 1, 0);
  }

  std::string take() { return std::move(out_); }

 private:
  [[noreturn]] static void fail() { throw failure{}; }

  byte_reader at(size_t offset, size_t length) const {
    if (offset > doc_.size() || length > doc_.size() - offset) fail();
    return byte_reader{doc_.substr(offset, length)};
  }

  uint64_t read_le(size_t offset, size_t n) const {
    auto r = at(offset, n);
    auto v = r.le(n);
    if (r.failed()) fail();
    return v;
  }

  // Appends the value of `type` stored at doc_[offset, offset + length).
  void value(uint8_t type, size_t offset, size_t length, int depth) {
    if (depth > max_depth) fail();
    switch (type) {
      case small_object: return container(true, false, offset, length, depth);
      case large_object: return container(true, true, offset, length, depth);
      case small_array: return container(false, false, offset, length, depth);
      case large_array: return container(false, true, offset, length, depth);
      case literal: return literal_value(read_le(offset, 1));
      case int16: return number(static_cast<int16_t>(read_le(offset, 2)));
      case uint16: return number(static_cast<uint16_t>(read_le(offset, 2)));
      case int32: return number(static_cast<int32_t>(read_le(offset, 4)));
      case uint32: return number(static_cast<uint32_t>(read_le(offset, 4)));
      case int64: return number(static_cast<int64_t>(read_le(offset, 8)));
      case uint64: return number(read_le(offset, 8));
      case double_: {
        auto bits = read_le(offset, 8);
        double d;
        std::memcpy(&d, &bits, 8);
        return real(d);
      }
      case string: {
        auto [len, used] = var_length(offset, length);
        auto r = at(offset + used, len);
        quoted(r.bytes(len));
        return;
      }
      case opaque: return opaque_value(offset, length);
      default: fail();
    }
  }

  // Variable-length size: 7 bits per byte, least significant first, high bit = more bytes.
  std::pair<size_t, size_t> var_length(size_t offset, size_t length) const {
    uint64_t len = 0;
    for (size_t i = 0; i < 5; ++i) {
      if (i >= length) fail();
      auto b = static_cast<uint8_t>(read_le(offset + i, 1));
      len |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) {
        if (len > length - i - 1) fail();
        return {static_cast<size_t>(len), i + 1};
      }
    }
    fail();
  }

  void container(bool is_object, bool large, size_t offset, size_t length, int depth) {
    size_t word = large ? 4 : 2;
    auto count = read_le(offset, word);
    auto size = read_le(offset + word, word);
    if (size > length || size < 2 * word) fail();
    size_t key_entry = word + 2;
    size_t value_entry = 1 + word;
    size_t header = 2 * word + (is_object ? count * key_entry : 0) + count * value_entry;
    if (count > size || header > size) fail();
    out_ += is_object ? '{' : '[';
    for (uint64_t i = 0; i < count; ++i) {
      if (i) out_ += ", ";
      if (is_object) {
        auto entry = offset + 2 * word + i * key_entry;
        auto key_offset = read_le(entry, word);
        auto key_length = read_le(entry + word, 2);
        if (key_offset > size || key_length > size - key_offset) fail();
        quoted(at(offset + key_offset, key_length).rest());
        out_ += ": ";
      }
      auto entry = offset + 2 * word + (is_object ? count * key_entry : 0) + i * value_entry;
      auto type = static_cast<uint8_t>(read_le(entry, 1));
      bool inlined = type == literal || type == int16 || type == uint16 ||
                     (large && (type == int32 || type == uint32));
      if (inlined) {
        value(type, entry + 1, word, depth + 1);
      } else {
        auto value_offset = read_le(entry + 1, word);
        if (value_offset >= size) fail();
        value(type, offset + value_offset, size - value_offset, depth + 1);
      }
    }
    out_ += is_object ? '}' : ']';
  }

  void literal_value(uint64_t v) {
    switch (v) {
      case 0: out_ += "null"; break;
      case 1: out_ += "true"; break;
      case 2: out_ += "false"; break;
      default: fail();
    }
  }

  template <class T>
  void number(T v) {
    char buf[32];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }

  void real(double d) {
    char buf[32];
    auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;
    std::string_view text{buf, static_cast<size_t>(end - buf)};
    out_ += text;
    // Keep doubles recognizable as such ("1.0", not "1").
    if (text.find_first_of(".eEn") == std::string_view::npos) out_ += ".0";
  }

  void quoted(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out_ += '"';
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (c < 0x20) {
            out_ += "\\u00";
            out_ += hex[c >> 4];
            out_ += hex[c & 15];
          } else {
            out_ += ch;
          }
      }
    }
    out_ += '"';
  }

  // Opaque: a MySQL field type byte, a variable length, the field's own binary form.
  void opaque_value(size_t offset, size_t length) {
    if (length < 1) fail();
    auto field_type = static_cast<uint8_t>(read_le(offset, 1));
    auto [len, used] = var_length(offset + 1, length - 1);
    auto data = at(offset + 1 + used, len);
    switch (field_type) {
      case 246: return opaque_decimal(data);       // NEWDECIMAL
      case 10: return opaque_temporal(data, 'd');  // DATE
      case 11: return opaque_temporal(data, 't');  // TIME
      case 12:                                     // DATETIME
      case 7: return opaque_temporal(data, 'f');   // TIMESTAMP
      default: {
        // Other opaque values print as MySQL does: "base64:typeNN:<base64 of the bytes>".
        auto enc = base64(data.rest());
        quoted("base64:type" + std::to_string(field_type) + ":" + enc);
      }
    }
  }

  void opaque_decimal(byte_reader data) {
    // precision, scale, then the binary decimal of a NEWDECIMAL column.
    auto precision = data.u8();
    auto scale = data.u8();
    if (data.failed()) fail();
    std::string text;
    if (!read_decimal(data, precision, scale, text)) fail();
    out_ += text;
  }

  void opaque_temporal(byte_reader data, char kind) {
    auto raw = static_cast<int64_t>(data.le(8));
    if (data.failed()) fail();
    bool negative = raw < 0;
    // Negated in unsigned arithmetic: INT64_MIN (possible in corrupt bytes) has no signed negation.
    uint64_t v = negative ? 0 - static_cast<uint64_t>(raw) : static_cast<uint64_t>(raw);
    auto usec = static_cast<unsigned>(v % (1 << 24));
    auto ymdhms = v >> 24;
    char buf[64];
    if (kind == 't') {
      auto hms = ymdhms;
      std::snprintf(buf, sizeof buf, "\"%s%02u:%02u:%02u.%06u\"", negative ? "-" : "",
                    static_cast<unsigned>((hms >> 12) % (1 << 10)),
                    static_cast<unsigned>((hms >> 6) % (1 << 6)),
                    static_cast<unsigned>(hms % (1 << 6)), usec);
    } else {
      auto ymd = ymdhms >> 17, hms = ymdhms % (1 << 17);
      auto ym = ymd >> 5;
      unsigned year = static_cast<unsigned>(ym / 13), month = static_cast<unsigned>(ym % 13),
               day = static_cast<unsigned>(ymd % (1 << 5));
      if (kind == 'd')
        std::snprintf(buf, sizeof buf, "\"%04u-%02u-%02u\"", year, month, day);
      else
        std::snprintf(buf, sizeof buf, "\"%04u-%02u-%02u %02u:%02u:%02u.%06u\"", year, month,
                      day, static_cast<unsigned>(hms >> 12),
                      static_cast<unsigned>((hms >> 6) % (1 << 6)),
                      static_cast<unsigned>(hms % (1 << 6)), usec);
    }
    out_ += buf;
  }

  std::string_view doc_;
  std::string out_;
};

}  // namespace

caf::expected<std::string> json_binary_to_text(std::string_view bytes) {
  json_writer w{bytes};
  try {
    w.document();
  } catch (const failure&) {
    return make_error(ec::decode_failed, "binlog event cannot be decoded: a MySQL binary JSON "
                                         "value is malformed");
  }
  return w.take();
}

}  // namespace dm::binlog
