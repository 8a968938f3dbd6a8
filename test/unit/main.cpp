// The unit test binary: every *_test.cpp under test/unit/ links into it.
#define BOOST_TEST_MODULE dm_unit
#include <boost/test/unit_test.hpp>
