#include "worker/handlers/cacheflushhandler.h"
#include "worker/handlers/cleanuphandler.h"
#include "worker/handlers/dboptimizehandler.h"
#include "worker/handlers/diagnostichandlers.h"
#include "worker/handlers/emailsendhandler.h"
#include "worker/handlers/logrotatehandler.h"
#include "worker/handlers/notifyhandler.h"
#include "worker/jobhandler.h"

#include "jobs/jobtypes.h"

namespace hcm {

HandlerRegistry HandlerRegistry::standard()
{
    HandlerRegistry registry;
    registry.add(QStringLiteral("cache_flush"), std::make_shared<CacheFlushHandler>());
    registry.add(QStringLiteral("db_optimize"), std::make_shared<DbOptimizeHandler>());
    registry.add(QStringLiteral("log_rotate"), std::make_shared<LogRotateHandler>());
    registry.add(QStringLiteral("cleanup"), std::make_shared<CleanupHandler>());
    registry.add(QStringLiteral("email_send"), std::make_shared<EmailSendHandler>());
    registry.add(QStringLiteral("notify"), std::make_shared<NotifyHandler>());
    if (JobTypeCatalog::testTypesEnabled())
        registerDiagnosticHandlers(registry);
    return registry;
}

} // namespace hcm
