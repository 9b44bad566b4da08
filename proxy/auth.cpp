#include "auth.h"

#include <QCryptographicHash>

using namespace Qt::StringLiterals;

namespace Tollgate {

QString Caller::actor() const
{
    switch (kind) {
    case Kind::MasterKey: return u"master_key"_s;
    case Kind::OpenAccess: return u"local (no master key)"_s;
    case Kind::VirtualKey:
        return userId.isEmpty() ? u"key:"_s + QString::fromLatin1(tokenHash.left(12)) : u"user:"_s + userId;
    case Kind::Anonymous: break;
    }
    return u"anonymous"_s;
}

QByteArray extractApiKey(const HttpRequest &request)
{
    // Views until the key is found: one copy, of the key.
    const QByteArray header = request.header("authorization");
    const QByteArrayView authorization = QByteArrayView(header).trimmed();
    if (!authorization.isEmpty()) {
        if (authorization.size() > 7 && equalsIgnoringCase(authorization.first(7), "bearer "))
            return authorization.sliced(7).trimmed().toByteArray();
        return authorization.toByteArray();
    }
    for (const char *name : {"api-key", "x-api-key", "x-litellm-api-key"}) {
        const QByteArray other = request.header(name);
        if (const QByteArrayView value = QByteArrayView(other).trimmed(); !value.isEmpty())
            return value.toByteArray();
    }
    return {};
}

QByteArray hashKey(QByteArrayView key)
{
    return QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex();
}

bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace Tollgate
