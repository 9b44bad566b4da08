#pragma once

#include "models/result.h"
#include "models/store/databasetarget.h"

#include <QString>

namespace Tollgate::Test {

// The PostgreSQL variants of the tests (`<name>_pg` in CTest) get the server that
// tests/support/pgcluster.sh started (CTest fixture `postgres`) in TOLLGATE_TEST_PG_URL.
// Empty when unset: the test runs on SQLite as always.
QString postgresUrl();

// A new, empty database on that server (a test case never sees another's rows). The target
// has no journal path.
Result<DatabaseTarget> freshPostgresDatabase();

} // namespace Tollgate::Test
