#include "protocol/binlog/decimal.hpp"

#include <charconv>
#include <cstring>

namespace dm::binlog {

namespace {

// Bytes holding 0..9 leftover decimal digits.
constexpr int dig2bytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};

void append_padded(std::string& out, uint64_t value, int digits) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  for (auto n = end - buf; n < digits; ++n) out += '0';
  out.append(buf, end);
}

}  // namespace

// Layout: the integer part's leftover digits, then groups of nine digits in four bytes each,
// then the fraction's groups and leftover, all big-endian; the first bit is the inverted sign
// and a negative value has every byte inverted.
bool read_decimal(byte_reader& r, int precision, int scale, std::string& out) {
  if (precision < 1 || precision > 65 || scale < 0 || scale > 30 || scale > precision)
    return false;
  int intg = precision - scale;
  int intg0 = intg / 9, intg0x = intg % 9, frac0 = scale / 9, frac0x = scale % 9;
  size_t size = intg0 * 4 + dig2bytes[intg0x] + frac0 * 4 + dig2bytes[frac0x];
  auto raw = r.bytes(size);
  if (r.failed()) return false;
  uint8_t buf[40];
  std::memcpy(buf, raw.data(), size);
  bool negative = (buf[0] & 0x80) == 0;
  buf[0] ^= 0x80;
  if (negative)
    for (size_t i = 0; i < size; ++i) buf[i] ^= 0xff;
  byte_reader d{buf, size};
  out.clear();
  if (negative) out += '-';
  // Integer part: groups after the first non-zero one keep their leading zeros.
  bool started = false;
  auto group = [&](uint64_t value, int width) {
    if (started) {
      append_padded(out, value, width);
    } else if (value != 0) {
      append_padded(out, value, 0);
      started = true;
    }
  };
  if (intg0x) group(d.be(dig2bytes[intg0x]), intg0x);
  for (int i = 0; i < intg0; ++i) group(d.be(4), 9);
  if (!started) out += '0';
  if (scale > 0) {
    out += '.';
    for (int i = 0; i < frac0; ++i) append_padded(out, d.be(4), 9);
    if (frac0x) append_padded(out, d.be(dig2bytes[frac0x]), frac0x);
  }
  return true;
}

}  // namespace dm::binlog
