// dm-sandbox: throwaway MariaDB servers for shell scripts (quickstart, shell tests).
//
//   dm-sandbox start [--server-id N] [--row-metadata FULL|NO_LOG] [--dir DIR] [-- ARGS...]
//       starts a server and prints "port=P dir=D" (for eval); it keeps running.
//   dm-sandbox stop DIR
//       stops that server and removes DIR.
//   dm-sandbox free-port
//       prints a loopback TCP port nothing listens on.
#include <iostream>

#include <CLI/CLI.hpp>

#include "test/support/mariadb_sandbox.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dm-sandbox: throwaway MariaDB servers on loopback"};
  app.require_subcommand(1, 1);
  dm::test::sandbox_options opts;
  auto* start = app.add_subcommand("start", "start a server and print port=P dir=D");
  start->add_option("--server-id", opts.server_id, "server id")->check(CLI::Range(1u, 4294967295u));
  start->add_option("--row-metadata", opts.row_metadata, "binlog_row_metadata");
  start->add_option("--dir", opts.dir, "directory (default: a new temp dir)");
  start->add_option("--port", opts.port, "port (default: a free one)");
  start->add_option("extra", opts.extra_args, "more mariadbd options (after --)");
  std::string dir;
  auto* stop = app.add_subcommand("stop", "stop the server of DIR and remove DIR");
  stop->add_option("dir", dir, "sandbox directory")->required();
  auto* port = app.add_subcommand("free-port", "print a free loopback port");
  CLI11_PARSE(app, argc, argv);
  if (port->parsed()) {
    std::cout << dm::test::free_port() << std::endl;
    return 0;
  }
  try {
    if (start->parsed()) {
      dm::test::mariadb_sandbox box{opts};
      box.detach();
      std::cout << "port=" << box.port() << " dir=" << box.dir() << std::endl;
      return 0;
    }
    dm::test::mariadb_sandbox::destroy_dir(dir);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dm-sandbox: " << e.what() << std::endl;
    return 1;
  }
}
