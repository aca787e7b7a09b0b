#pragma once

#include "worker/jobhandler.h"

namespace hcm {

// Handlers of the diagnostic job types (test.noop, test.sleep, test.fail, test.record): real executions
// with trivial work, used by tests, benchmarks and smoke checks of a deployment. test.record writes one
// row per execution into the side table test_executions(job_id, attempt, worker_id, at) (created on
// first use) and then sleeps `ms`: the chaos test counts duplicate executions with it.
void registerDiagnosticHandlers(HandlerRegistry &registry);

} // namespace hcm
