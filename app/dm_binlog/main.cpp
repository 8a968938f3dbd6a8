// dm-binlog: prints binlog events like mariadb-binlog, from binlog files or from the relay log of
// a source inside a worker's data dir.
//
//   dm-binlog [--verbose] [--start-position N] FILE...
//   dm-binlog --data-dir DIR --source ID [--verbose]
//
// With --verbose, row events are followed by their rows as "###" lines (see
// protocol/binlog/printer.hpp for how values are spelled). Checksums are verified; a mismatch or
// an undecodable event is reported on stderr with the file and position, and the exit status is
// 1. The data dir may belong to a running worker (it is read as a snapshot).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "protocol/binlog/printer.hpp"
#include "protocol/binlog/stream_decoder.hpp"
#include "common/error.hpp"
#include "storage/database.hpp"
#include "storage/keys.hpp"
#include "storage/relay_log.hpp"

namespace {

using namespace dm;

// Buffered stdout.
class output {
 public:
  ~output() { flush(); }
  std::string& buffer() { return buf_; }
  void maybe_flush() {
    if (buf_.size() > (1 << 20)) flush();
  }
  void flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    buf_.clear();
  }

 private:
  std::string buf_;
};

struct printer_state {
  binlog::stream_decoder decoder{binlog::checksum_alg::off, true};
  bool verbose = false;
  size_t errors = 0;
};

// Decodes and prints one event; false (after reporting) when it cannot be decoded.
bool print_one(printer_state& st, output& out, std::string_view raw, const std::string& where,
               uint64_t position, bool show) {
  auto ev = st.decoder.decode(raw);
  if (!ev) {
    std::cerr << "dm-binlog: " << where << " at " << position << ": " << describe(ev.error())
              << std::endl;
    ++st.errors;
    return false;
  }
  if (!show) return true;
  binlog::print_event(out.buffer(), *ev, position);
  if (st.verbose) {
    if (auto* rows = std::get_if<binlog::rows_event>(&ev->body)) {
      auto changes = binlog::decode_rows(*rows, *ev->table);
      if (!changes) {
        std::cerr << "dm-binlog: " << where << " at " << position << ": "
                  << describe(changes.error()) << std::endl;
        ++st.errors;
        return false;
      }
      binlog::print_rows(out.buffer(), *rows, *ev->table, *changes);
    }
  }
  out.maybe_flush();
  return true;
}

int print_file(printer_state& st, output& out, const std::string& path, uint64_t start) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    std::cerr << "dm-binlog: cannot open " << path << std::endl;
    return 1;
  }
  struct stat info {};
  ::fstat(fd, &info);
  size_t size = static_cast<size_t>(info.st_size);
  void* map = size ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : nullptr;
  ::close(fd);
  if (size && map == MAP_FAILED) {
    std::cerr << "dm-binlog: cannot map " << path << std::endl;
    return 1;
  }
  ::madvise(map, size, MADV_SEQUENTIAL);
  std::string_view file{static_cast<const char*>(map), size};
  int rc = 0;
  if (file.substr(0, 4) != binlog::binlog_magic) {
    std::cerr << "dm-binlog: " << path << " is not a binlog file (no magic header)" << std::endl;
    rc = 1;
  } else {
    st.decoder = binlog::stream_decoder{binlog::checksum_alg::off, true};
    uint64_t pos = 4;
    out.buffer() += "# file " + path + "\n";
    while (pos < file.size()) {
      auto rest = file.substr(pos);
      auto header = binlog::parse_header(rest);
      if (!header) {
        std::cerr << "dm-binlog: " << path << " at " << pos << ": " << describe(header.error())
                  << std::endl;
        rc = 1;
        break;
      }
      // The format description at 4 is always read: it governs how the file is laid out.
      bool show = pos >= start;
      if (!print_one(st, out, rest.substr(0, header->event_size), path, pos, show)) {
        rc = 1;
        break;
      }
      pos += header->event_size;
    }
  }
  if (size) ::munmap(map, size);
  return rc;
}

int print_relay(printer_state& st, output& out, const std::string& data_dir,
                const std::string& source) {
  auto db = storage::database::open_read_only(data_dir);
  if (!db) {
    std::cerr << "dm-binlog: " << describe(db.error()) << std::endl;
    return 1;
  }
  storage::relay_log log{*db, source};
  auto state = log.load_state();
  if (!state || !*state) {
    std::cerr << "dm-binlog: " << data_dir << " holds no relay log of source " << source
              << std::endl;
    return 1;
  }
  auto head = (*state)->head();
  relay_key from{0, 0, 0};
  std::pair<uint32_t, uint32_t> current{UINT32_MAX, UINT32_MAX};
  std::vector<storage::stored_event> batch;
  for (;;) {
    batch.clear();
    auto n = log.read(from, head, 4096, 64 << 20, batch);
    if (!n) {
      std::cerr << "dm-binlog: " << describe(n.error()) << std::endl;
      return 1;
    }
    if (*n == 0) break;
    for (auto& ev : batch) {
      std::pair<uint32_t, uint32_t> file{ev.key.segment, ev.key.file_index};
      std::string where = "relay of source " + source;
      if (file != current) {
        current = file;
        auto name = log.file_name(file.first, file.second);
        auto shown = name && *name ? **name : "file index " + std::to_string(file.second);
        out.buffer() += "# file " + shown + " (relay log of source " + source + ", segment " +
                        std::to_string(file.first) + ")\n";
        st.decoder = binlog::stream_decoder{binlog::checksum_alg::off, true};
      }
      if (!print_one(st, out, ev.bytes, where, ev.key.offset, true)) return 1;
    }
    auto last = batch.back().key;
    from = {last.segment, last.file_index, last.offset + 1};
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"dm-binlog: prints binlog events like mariadb-binlog"};
  printer_state st;
  uint64_t start = 4;
  std::vector<std::string> files;
  std::string data_dir, source;
  app.add_flag("-v,--verbose", st.verbose, "print rows as ### lines");
  app.add_option("--start-position", start, "print events from this offset (files only)");
  app.add_option("--data-dir", data_dir, "a worker's data-dir, to print a source's relay log");
  app.add_option("--source", source, "the source whose relay log to print (with --data-dir)");
  app.add_option("files", files, "binlog files");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dm-binlog: " << e.what() << " (see dm-binlog --help)" << std::endl;
    return 1;
  }
  output out;
  if (!data_dir.empty() || !source.empty()) {
    if (data_dir.empty() || source.empty() || !files.empty()) {
      std::cerr << "dm-binlog: --data-dir and --source go together, without files" << std::endl;
      return 1;
    }
    return print_relay(st, out, data_dir, source);
  }
  if (files.empty()) {
    std::cerr << "dm-binlog: name binlog files, or --data-dir and --source" << std::endl;
    return 1;
  }
  int rc = 0;
  for (auto& f : files) rc |= print_file(st, out, f, start);
  return rc;
}
