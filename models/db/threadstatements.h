#pragma once

#include <QtGlobal>

namespace hcm {

// How many prepared statements of Sql::cached() the calling thread holds (kept and scratch ones), with
// its connections. Zero once its connections are closed: Database::closeThreadConnections(), and for
// the main thread the destruction of the application object (tests/tst_dbexit.cpp checks it).
qsizetype threadStatementCount();

} // namespace hcm
