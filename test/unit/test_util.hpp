// Assertions for caf::expected / caf::error that print the project's one-line error message.
// (Boost.Test builds the message of BOOST_REQUIRE_MESSAGE even when the check passes, so the
// error of an expected that holds a value must not be touched there.)
#pragma once

#include <boost/test/unit_test.hpp>

#include "common/error.hpp"

// REQUIRES: `x` is a variable of type caf::expected<T>.
#define DM_REQUIRE_OK(x)                               \
  do {                                                 \
    if (!(x)) BOOST_FAIL(::dm::describe((x).error())); \
  } while (false)

// Fails when the caf::error expression holds an error.
#define DM_REQUIRE_NO_ERROR(expr)                  \
  do {                                             \
    if (auto dm_err_ = (expr))                     \
      BOOST_FAIL(::dm::describe(dm_err_));         \
  } while (false)
