#pragma once

#include <QLoggingCategory>

// One category per area, so an operator can turn on exactly what they need:
//   QT_LOGGING_RULES="hcm.worker.debug=true;hcm.db.debug=true"
Q_DECLARE_LOGGING_CATEGORY(lcDb)
Q_DECLARE_LOGGING_CATEGORY(lcJobs)
Q_DECLARE_LOGGING_CATEGORY(lcWorker)
Q_DECLARE_LOGGING_CATEGORY(lcHandlers)
Q_DECLARE_LOGGING_CATEGORY(lcApp)
Q_DECLARE_LOGGING_CATEGORY(lcNotify)
Q_DECLARE_LOGGING_CATEGORY(lcAuth)
