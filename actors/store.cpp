#include "actors/store.hpp"

#include <caf/all.hpp>

namespace dm {

store_actor::behavior_type store(store_actor::pointer self) {
  return {
      [=](run_atom, blocking_job& job) -> caf::result<void> {
        if (auto err = job.run()) return err;
        return caf::unit;
      },
  };
}

}  // namespace dm
