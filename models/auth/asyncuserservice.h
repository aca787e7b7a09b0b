#pragma once

#include "auth/userstore.h"

#include <QList>
#include <QObject>
#include <QThread>

#include <functional>

namespace hcm {

// The GUI's access to the users of the database (UserService): every read and change runs on a thread
// of its own with its own connection, results come back as queued signals. The service decides what is
// allowed (ManageUsers, the last system administrator); this class only carries its answers.
class AsyncUserService final : public QObject {
    Q_OBJECT
public:
    explicit AsyncUserService(DbConfig config, QObject *parent = nullptr);
    ~AsyncUserService() override;
    Q_DISABLE_COPY_MOVE(AsyncUserService)

    void fetchAll();
    void add(const QString &name, Role role, const QString &displayName, const Actor &actor);
    void setRole(const QString &name, Role role, const Actor &actor);
    void setDisabled(const QString &name, bool disabled, const Actor &actor);

signals:
    void listReady(const QList<hcm::User> &users);
    void listFailed(const QString &message);
    // A change finished: `ok`, else the service's sentence (a refusal, the last-administrator rule).
    void actionFinished(bool ok, const QString &message, const QString &name);

private:
    void post(std::function<void(UserService &)> work);

    DbConfig m_config;
    QThread m_thread;
    QObject *m_context = nullptr; // lives in m_thread
};

} // namespace hcm
