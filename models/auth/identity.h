#pragma once

#include "auth/actor.h"
#include "common/error.h"
#include "db/dbconfig.h"

namespace hcm {

// The name of the operating-system user running this program (the effective user), or "$USER".
QString osUserName();

// Who runs this program against a database, and with which role.
struct Identity {
    QString name;        // the database login (PostgreSQL) or the OS user (SQLite)
    QString displayName; // from the users table; empty when none is recorded
    Role role = Role::Viewer;

    Actor actor(Interface via, const QString &clientAddress = {}) const
    {
        return Actor(name, role, via, clientAddress);
    }
    // "alice — Operator" (the display name when there is one): for the status bar.
    QString signedInText() const;
};

// Resolves the identity of this connection:
// - PostgreSQL: the login role (current_user); its role is the highest of the groups hcm_admin,
//   hcm_operator, hcm_viewer it is a member of (pg_has_role); the owner of the schema (or a
//   superuser) is a system administrator. A login in none of them is refused, with the GRANT to run.
// - SQLite: the OS user, looked up in `users`. An unknown user is refused, with the hcmctl command a
//   system administrator of the file runs.
// On both, a user disabled in `users` is refused. Error::Code::Forbidden for every refusal.
Result<Identity> resolveIdentity(const DbConfig &config);

} // namespace hcm
