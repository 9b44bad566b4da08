#pragma once

#include "httptypes.h"

#include <QByteArray>
#include <QString>

namespace Tollgate {

// Who is calling. Virtual keys, users and roles join this in the keys issue; the spine
// knows the master key (admin) and the open mode of a gateway without one.
struct Caller
{
    enum class Kind {
        Anonymous,   // a public route, no key looked at
        MasterKey,   // the configured master key
        OpenAccess,  // no master key configured (loopback only): every caller is admin
    };
    Kind kind = Kind::Anonymous;
    QByteArray tokenHash;     // SHA-256 hex of the presented key ("" when none)

    [[nodiscard]] bool isAdmin() const { return kind == Kind::MasterKey || kind == Kind::OpenAccess; }
};

// The caller's key from `Authorization: Bearer`, else `api-key`, else `x-api-key`,
// else `x-litellm-api-key` (api.md §1). Empty when none is given.
QByteArray extractApiKey(const HttpRequest &request);

// SHA-256 of a key as lower-case hex: the only form in which keys are stored or compared.
QByteArray hashKey(QByteArrayView key);

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace Tollgate
