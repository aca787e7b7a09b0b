#pragma once

#include "worker/jobhandler.h"

namespace hcm {

// Handlers of the diagnostic job types (test.noop, test.sleep, test.fail): real executions with trivial
// work, used by tests, benchmarks and smoke checks of a deployment.
void registerDiagnosticHandlers(HandlerRegistry &registry);

} // namespace hcm
