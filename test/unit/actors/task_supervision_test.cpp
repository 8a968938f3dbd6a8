// How a task part supervises its units, run deterministically on CAF's test coordinator with
// stand-in units (no servers): a unit failing with a resumable error is restarted after its
// backoff, and not before; failing too often, or with an error retrying cannot fix, pauses the
// task; resume-task starts over; on shutdown the task stops its units and kills those that do
// not stop within the grace period, then ends.
#include <boost/test/unit_test.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/task.hpp"
#include "app/system_config.hpp"
#include "common/error.hpp"

using namespace dm;

namespace {

// What the stand-in syncers do: each new one fails with `failure` while `failures_left` > 0;
// with `ignore_exit` it does not stop when asked.
struct script {
  int failures_left = 0;
  caf::error failure;
  bool ignore_exit = false;
  int spawned = 0;
  int alive = 0;
};

syncer_actor::behavior_type stand_in_syncer(syncer_actor::pointer self,
                                            std::shared_ptr<script> s) {
  ++s->spawned;
  ++s->alive;
  self->attach_functor([s] { --s->alive; });
  if (s->ignore_exit) self->set_exit_handler([](caf::exit_msg&) {});
  if (s->failures_left > 0) {
    --s->failures_left;
    self->quit(s->failure);
  }
  return {
      [](relay_head_atom, relay_progress&) {},
      [](pump_atom) {},
      [](ack_atom, uint32_t, uint64_t) {},
      [](apply_failed_atom, uint32_t, const relay_key&, caf::error&) {},
      [](tick_atom) {},
      [](shard_ddl_atom, const std::string&) {},
  };
}

unit_spawner stand_ins(std::shared_ptr<script> s) {
  unit_spawner u;
  u.syncer = [s](task_self self) {
    return self->spawn<caf::monitored>(stand_in_syncer, s);
  };
  return u;
}

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<script> s = std::make_shared<script>();

  fixture() {
    app::configure_actor_system(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  task_actor spawn_task() {
    task_config config;
    config.name = "t";
    config.task_mode = task_mode::incremental;
    source_config source;
    source.source_id = "s";
    worker_settings worker;
    worker.name = "w";
    auto handle = sys->spawn(task, config, source, nullptr, source_actor{}, store_actor{}, worker,
                             false, stand_ins(s));
    sched->run();
    return handle;
  }

  subtask_status status(const task_actor& t) {
    subtask_status out;
    caf::scoped_actor self{*sys};
    auto answer = self->request(t, caf::infinite, status_atom_v);
    sched->run();
    answer.receive([&](subtask_status& x) { out = x; }, [](caf::error&) {});
    return out;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(task_supervision_test, fixture)

BOOST_AUTO_TEST_CASE(a_resumable_failure_restarts_the_unit_after_its_backoff) {
  s->failures_left = 1;
  s->failure = make_error(ec::downstream_unavailable, "the downstream went away");
  auto t = spawn_task();
  BOOST_CHECK_EQUAL(s->spawned, 1);
  // Not restarted at once: the backoff's timer is pending.
  sched->run();
  BOOST_CHECK_EQUAL(s->spawned, 1);
  BOOST_CHECK(status(t).stage == task_stage::running);
  BOOST_CHECK_EQUAL(status(t).restarts, 1u);
  // When it fires, the unit runs again.
  sched->trigger_timeouts();
  sched->run();
  BOOST_CHECK_EQUAL(s->spawned, 2);
  BOOST_CHECK_EQUAL(s->alive, 1);
  BOOST_CHECK(status(t).stage == task_stage::running);
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(failing_too_often_pauses_and_resume_starts_over) {
  s->failures_left = 1000;
  s->failure = make_error(ec::downstream_unavailable, "the downstream went away");
  auto t = spawn_task();
  for (int i = 0; i < 20 && status(t).stage == task_stage::running; ++i) {
    sched->trigger_timeouts();
    sched->run();
  }
  auto paused = status(t);
  BOOST_CHECK(paused.stage == task_stage::paused);
  // The budget is defaults::unit_restart.max_failures failures; the last one pauses.
  BOOST_CHECK_EQUAL(s->spawned, 10);
  BOOST_CHECK_NE(paused.last_error.find("the downstream went away"), std::string::npos);
  // Nothing restarts a paused task by itself.
  sched->trigger_timeouts();
  sched->run();
  BOOST_CHECK_EQUAL(s->spawned, 10);
  // resume-task: a fresh budget.
  s->failures_left = 0;
  caf::scoped_actor self{*sys};
  auto answer = self->request(t, caf::infinite, resume_task_atom_v);
  sched->run();
  answer.receive([](subtask_status&) {}, [](caf::error&) {});
  BOOST_CHECK_EQUAL(s->spawned, 11);
  BOOST_CHECK(status(t).stage == task_stage::running);
  BOOST_CHECK(status(t).last_error.empty());
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(an_error_retrying_cannot_fix_pauses_at_once) {
  s->failures_left = 1;
  s->failure = make_error(ec::downstream_rejected, "Duplicate entry '5' for key 'PRIMARY'");
  auto t = spawn_task();
  auto paused = status(t);
  BOOST_CHECK(paused.stage == task_stage::paused);
  BOOST_CHECK_EQUAL(paused.restarts, 0u);
  sched->trigger_timeouts();
  sched->run();
  BOOST_CHECK_EQUAL(s->spawned, 1);
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(shutdown_waits_for_its_units_then_kills_what_does_not_stop) {
  auto t = spawn_task();
  BOOST_CHECK_EQUAL(s->alive, 1);
  // A unit that stops when asked: the task ends with it.
  caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
  sched->run();
  BOOST_CHECK_EQUAL(s->alive, 0);

  // A unit that ignores the request: the task waits for the grace period, then kills it.
  s->ignore_exit = true;
  auto stubborn = spawn_task();
  caf::anon_send_exit(stubborn, caf::exit_reason::user_shutdown);
  sched->run();
  BOOST_CHECK_EQUAL(s->alive, 1);
  sched->trigger_timeouts();
  sched->run();
  BOOST_CHECK_EQUAL(s->alive, 0);
}

BOOST_AUTO_TEST_SUITE_END()
