// GTID sets of both flavors, as text and as values.
//
// MariaDB: one GTID per replication domain, "domain-server-seq[,domain-server-seq...]"; the set
// means "everything up to seq in each domain" (gtid_strict_mode keeps seq monotonic per domain).
// MySQL: "uuid:interval[:interval...][,uuid:...]" with intervals "a-b" or "a".
// A set holds one flavor; the empty set has none yet and takes the flavor of its first GTID.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

namespace dm {

struct mariadb_gtid {
  uint32_t domain_id = 0;
  uint32_t server_id = 0;
  uint64_t sequence = 0;
};

class gtid_set {
 public:
  enum class flavor : uint8_t { none, mariadb, mysql };

  // Parses either flavor; an empty string gives the empty set. The error quotes `text`.
  static caf::expected<gtid_set> parse(std::string_view text);

  flavor kind() const { return flavor_; }
  bool empty() const { return mariadb_.empty() && mysql_.empty(); }

  // Records a MariaDB GTID: the domain's position becomes this GTID.
  void add(const mariadb_gtid& gtid);

  // Records MySQL transaction `gno` of server `uuid` (canonical 36-char text form).
  void add_mysql(const std::string& uuid, uint64_t gno);

  // Records MySQL transactions first..last (inclusive) of server `uuid`. REQUIRES: first <= last.
  void add_mysql_interval(const std::string& uuid, uint64_t first, uint64_t last);

  // True if the MariaDB GTID is at or before this set's position in its domain.
  bool contains(const mariadb_gtid& gtid) const;

  // True if MySQL transaction (uuid, gno) is in the set.
  bool contains_mysql(const std::string& uuid, uint64_t gno) const;

  // Canonical text: MariaDB sorted by domain, MySQL sorted by uuid with merged intervals.
  std::string to_string() const;

  // The MariaDB GTIDs, one per domain, sorted by domain.
  std::vector<mariadb_gtid> mariadb_gtids() const;

  // MySQL's binary encoding of the set (the SID block of COM_BINLOG_DUMP_GTID and of
  // Previous_gtids events): count, then per server its 16-byte UUID and [first, last + 1)
  // intervals, all little-endian. REQUIRES: kind() != flavor::mariadb.
  std::string mysql_binary() const;

  friend bool operator==(const gtid_set& a, const gtid_set& b) {
    return a.to_string() == b.to_string();
  }

 private:
  flavor flavor_ = flavor::none;
  // domain -> (server id, sequence)
  std::map<uint32_t, std::pair<uint32_t, uint64_t>> mariadb_;
  // uuid -> disjoint, sorted, merged closed intervals [first, last]
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> mysql_;
};

// "domain-server-seq"
std::string to_string(const mariadb_gtid& x);

}  // namespace dm
