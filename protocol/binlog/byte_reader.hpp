// A bounds-checked cursor over event bytes: no read ever leaves the buffer.
//
// Every read on a reader that has run out of bytes returns zero / empty and sets failed(); callers
// check failed() once after a group of reads instead of after each read. This keeps the decoders
// free of undefined behaviour on truncated or corrupt input, which the fuzzer relies on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace dm::binlog {

class byte_reader {
 public:
  byte_reader() = default;
  byte_reader(const uint8_t* data, size_t size) : pos_(data), end_(data + size) {}
  explicit byte_reader(std::string_view bytes)
      : byte_reader(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }
  bool failed() const { return failed_; }
  const uint8_t* data() const { return pos_; }

  // Marks the reader failed; used by callers that detect a semantic inconsistency.
  void fail() { failed_ = true; }

  bool ensure(size_t n) {
    if (failed_ || remaining() < n) {
      failed_ = true;
      pos_ = end_;
      return false;
    }
    return true;
  }

  void skip(size_t n) {
    if (ensure(n)) pos_ += n;
  }

  // Little-endian unsigned integer of `n` bytes (1..8).
  uint64_t le(size_t n) {
    if (!ensure(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(pos_[i]) << (8 * i);
    pos_ += n;
    return v;
  }

  // Big-endian unsigned integer of `n` bytes (1..8).
  uint64_t be(size_t n) {
    if (!ensure(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | pos_[i];
    pos_ += n;
    return v;
  }

  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u24() { return static_cast<uint32_t>(le(3)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u48() { return le(6); }
  uint64_t u64() { return le(8); }

  // MySQL length-encoded integer (0xfb is not valid here and fails the reader).
  uint64_t packed() {
    uint8_t first = u8();
    if (first < 0xfb) return first;
    if (first == 0xfc) return le(2);
    if (first == 0xfd) return le(3);
    if (first == 0xfe) return le(8);
    failed_ = true;
    return 0;
  }

  // `n` raw bytes.
  std::string_view bytes(size_t n) {
    if (!ensure(n)) return {};
    std::string_view out{reinterpret_cast<const char*>(pos_), n};
    pos_ += n;
    return out;
  }

  // Everything left.
  std::string_view rest() { return bytes(remaining()); }

 private:
  const uint8_t* pos_ = nullptr;
  const uint8_t* end_ = nullptr;
  bool failed_ = false;
};

}  // namespace dm::binlog
