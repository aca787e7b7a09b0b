#include "logcategories.h"

Q_LOGGING_CATEGORY(lcDb, "hcm.db", QtInfoMsg)
Q_LOGGING_CATEGORY(lcJobs, "hcm.jobs", QtInfoMsg)
Q_LOGGING_CATEGORY(lcWorker, "hcm.worker", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHandlers, "hcm.handlers", QtInfoMsg)
Q_LOGGING_CATEGORY(lcApp, "hcm.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNotify, "hcm.notify", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "hcm.auth", QtInfoMsg)
