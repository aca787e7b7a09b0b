#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace hcm {

// What the program knows about a job type, independent of who executes it: description and payload
// template for the UI, payload rules for enqueue, and the time limit the worker enforces.
struct JobTypeInfo {
    QString name;
    const char *descriptionText = ""; // untranslated; use description()
    QJsonObject payloadTemplate;
    int timeoutSeconds = 600;
    bool internal = false; // diagnostic types, hidden from menus
    // Returns an error sentence, or an empty string when the payload is acceptable.
    std::function<QString(const QJsonObject &)> validatePayload;

    QString description() const;
};

class JobTypeCatalog final {
public:
    static const JobTypeCatalog &instance();

    const JobTypeInfo *find(const QString &name) const;
    QList<JobTypeInfo> types(bool includeInternal = false) const;
    QStringList names(bool includeInternal = false) const;

    // Diagnostic types (test.noop, test.sleep, test.fail) used by tests and benchmarks. They are also
    // enabled by the environment variable HCM_ENABLE_TEST_JOB_TYPES=1. Call before starting threads.
    static void enableTestTypes();
    static bool testTypesEnabled();

private:
    JobTypeCatalog();
    QList<JobTypeInfo> m_types;
};

} // namespace hcm
