#pragma once

#include <QString>

#include <utility>

namespace hcm {

// The three roles of the product, ordered by what they may do: each role may do everything the one
// before it may (the permission table in permissions.cpp is the only place that says what).
enum class Role {
    Viewer = 1,      // reads jobs, workers and settings (never secrets)
    Operator = 2,    // + creates, cancels, retries and deletes jobs, sends test messages
    SystemAdmin = 3, // + settings, schedules, users, tokens, the audit trail
};

// How a call reached the services; recorded in the audit trail.
enum class Interface {
    Gui,    // hcm-admin
    Cli,    // hcmctl
    Api,    // the HTTP API of hcm-worker
    Worker, // a worker acting on its own (rescue, retries, alerts)
    System, // the program itself (schedules, cleanup, migrations)
};

// Who is acting: every service call is told, for the permission check and the audit trail.
struct Actor {
    QString name;             // user name (the database login on PostgreSQL), or "system:<part>"
    Role role = Role::Viewer; // least privilege unless the identity says otherwise
    Interface via = Interface::System;
    QString clientAddress; // the HTTP client's address for Interface::Api, else empty

    Actor() = default;
    explicit Actor(QString name, Role role = Role::Viewer, Interface via = Interface::System,
                   QString clientAddress = {})
        : name(std::move(name))
        , role(role)
        , via(via)
        , clientAddress(std::move(clientAddress))
    {}

    // The program's own actions (scheduler, cleanup, worker rescue): allowed everything, audited as
    // interface "system" or "worker".
    static Actor system(const QString &component, Interface via = Interface::System)
    {
        return Actor(QStringLiteral("system:") + component, Role::SystemAdmin, via);
    }
};

// "viewer", "operator", "systemadmin" (as stored and typed); roleFromString accepts any case and
// "SystemAdmin"/"admin".
QString roleToString(Role role);
bool roleFromString(const QString &text, Role *role);
// The role's name for people, translated: "Viewer", "Operator", "System administrator".
QString roleDisplayName(Role role);
QString interfaceToString(Interface via); // "gui", "cli", "api", "worker", "system"

} // namespace hcm
