// dmctl against a cluster (--master-addr naming etcd endpoints): the commands that change or
// show the cluster's records in etcd (io/cluster_store.hpp). Every other command goes, as
// without a cluster, to the workers, here the live ones registered in etcd.
#pragma once

#include <string>
#include <vector>

#include <caf/expected.hpp>

#include "app/dmctl/commands.hpp"
#include "io/etcd_client.hpp"

namespace dm::dmctl {

// The etcd client when one of `addrs` answers as etcd (GET /version), else nullopt: they are
// then taken as worker addresses (DM's --master-addr without a cluster). Any later failure of
// etcd (no quorum, say) is reported as etcd's.
// `tls`: dmctl's --ssl-* files, used for https:// endpoints. An https:// endpoint without a CA
// file is the error. `login`: --etcd-user and its password, when etcd's auth is on.
caf::expected<std::optional<etcd_client>> connect_cluster(const std::string& addrs,
                                                          const etcd_tls& tls,
                                                          const etcd_login& login);

// The admin addresses of the live workers, "host:port,..."; an error when none is alive.
caf::expected<std::string> live_worker_addrs(etcd_client& etcd);

// operate-source create FILE: stores the source in etcd (refused if its id exists) and waits
// a little for a worker to bind it. stop ID|FILE: removes it and waits for its owner to let go.
caf::expected<reply> cluster_create_source(etcd_client& etcd, const std::string& file);
caf::expected<reply> cluster_stop_source(etcd_client& etcd, const std::string& target);
// list-member: the scheduling worker, every registered worker (online or offline) with the
// sources bound to it, and sources no worker holds.
caf::expected<reply> cluster_list_member(etcd_client& etcd);
// transfer-source SOURCE WORKER: assigns the source to a live worker; its owner stops it and
// lets go, then the worker binds and starts it. Waits until it is bound there.
caf::expected<reply> cluster_transfer_source(etcd_client& etcd, const std::string& source,
                                             const std::string& worker);
// start-task FILE: stores the task in etcd (refused if its name exists, or a source it names
// does not); each source's owner runs the task's part on it, from its checkpoint downstream
// after a failover. Answers what it stored and which worker owns each source (json "sources":
// [{source, worker}], "" for none yet); wait_task_parts then waits for the parts.
caf::expected<reply> cluster_start_task(etcd_client& etcd, const std::string& file);
// start-task's last step in a cluster: waits (30 s at most) until the live workers `ws` run a
// part of the task `stored` names on every source that had an owner. A part shows only once
// its start is recorded, so every change the upstream commits after this answers is
// replicated (as start-task promises without a cluster); a source without an owner yet starts
// from where its upstream is when one binds it. Answers the parts found; exit code 1 when a
// source with an owner still runs no part after the wait.
caf::expected<reply> wait_task_parts(workers& ws, const reply& stored);
// stop-task's first step in a cluster: removes the task (with `sources`, only those parts) from
// etcd, so that no worker starts it again; the live workers then stop it as without a cluster.
caf::error cluster_forget_task(etcd_client& etcd, const std::string& target,
                               const std::vector<std::string>& sources);
// pause-task / resume-task's first step in a cluster (`target`: the task's name or config
// file): keeps the stage of the task's parts on
// `sources` (empty: all) in etcd, so that a part keeps it when its source moves to another
// worker (whose member reads it); the live workers are then asked as without a cluster.
caf::error cluster_set_stage(etcd_client& etcd, const std::string& target, bool paused,
                             const std::vector<std::string>& sources);
// offline-member --name W: forgets a registered worker that is not alive.
caf::expected<reply> cluster_offline_member(etcd_client& etcd, const std::string& worker);

}  // namespace dm::dmctl
