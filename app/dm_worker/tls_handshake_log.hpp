// The admin endpoint's (and status port's) TLS handshakes, as seen from the worker: refusals are
// logged (tls_handshake_log.cpp), and DM's cert-allowed-cn is enforced there.
#pragma once

#include <string>
#include <vector>

namespace dm::app {

// Client certificates must carry one of these common names (DM's cert-allowed-cn); empty: any
// certificate the CA signed. Set once, before the endpoints listen.
void set_allowed_client_names(std::vector<std::string> names);

}  // namespace dm::app
