#pragma once

#include "../models/identity.h"
#include "httptypes.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace Tollgate {

// Who is calling, as established by the router for one request.
struct Caller
{
    enum class Kind {
        Anonymous,   // a public route, no key looked at
        MasterKey,   // the configured master key
        OpenAccess,  // no master key configured (loopback only): every caller is admin
        VirtualKey,  // a key made with /key/generate (or /user/new)
    };
    Kind kind = Kind::Anonymous;
    QByteArray tokenHash;     // SHA-256 hex of the presented key ("" when none)
    QString tokenHashText;    // the same as text: what the registry, the ledger and the store key on
    QString userId;           // the key's owner, if any
    std::optional<UserRole> role;  // the owner's role, if the owner exists

    // Master key, open access, or a key of a proxy_admin user: may use admin routes.
    [[nodiscard]] bool isAdmin() const
    {
        return kind == Kind::MasterKey || kind == Kind::OpenAccess
               || (kind == Kind::VirtualKey && role == UserRole::ProxyAdmin);
    }
    // For the audit log: never a raw key.
    [[nodiscard]] QString actor() const;
};

// The caller's key from `Authorization: Bearer`, else `api-key`, else `x-api-key`,
// else `x-litellm-api-key` (api.md §1). Empty when none is given.
QByteArray extractApiKey(const HttpRequest &request);

// SHA-256 of a key as lower-case hex: the only form in which keys are stored or compared.
QByteArray hashKey(QByteArrayView key);

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace Tollgate
