// DM's OpenAPI (v1) subset on the worker's status port, answered from the worker actor:
//   GET  /api/v1/sources[?with_status=true]      {"total": n, "data": [source]}
//   GET  /api/v1/tasks[?with_status=true]        {"total": n, "data": [task]}
//   GET  /api/v1/tasks/{name}/status             {"total": n, "data": [subtask status]}
//   POST /api/v1/tasks/{name}/start | stop       DM's meaning: resume | pause (body may name
//   POST /api/v1/tasks/{name}/resume | pause     {"source_name_list": [...]})
// Field names as DM's spec; passwords are never shown ("******"). With an admin token, every
// request must carry "Authorization: Bearer TOKEN". Errors: {"error_code", "error_msg"} with
// HTTP 400 (bad request), 401 (token), 404 (no such task or source) or 500.
#pragma once

#include <string>

#include "actors/interfaces.hpp"

namespace caf {
class actor_system;
}
namespace httplib {
class Server;
}

namespace dm::app {

struct api_context {
  caf::actor_system* system = nullptr;
  worker_actor worker;
  // Empty: no token is asked for.
  std::string token;
  // Labels the failed requests counted in dm_worker_operate_error (actors/admin_gate.hpp).
  std::string worker_name;
};

void add_api_routes(httplib::Server& server, api_context api);

}  // namespace dm::app
