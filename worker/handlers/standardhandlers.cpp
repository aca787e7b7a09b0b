#include "worker/handlers/diagnostichandlers.h"
#include "worker/jobhandler.h"

#include "jobs/jobtypes.h"

namespace hcm {

HandlerRegistry HandlerRegistry::standard()
{
    HandlerRegistry registry;
    if (JobTypeCatalog::testTypesEnabled())
        registerDiagnosticHandlers(registry);
    return registry;
}

} // namespace hcm
