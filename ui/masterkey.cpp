#include "masterkey.h"

#include "models/secretstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

Result<QString> readFallback(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return makeError(u"no fallback file"_s);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(u"cannot read %1: %2"_s.arg(path, file.errorString()));
    const QString key = QString::fromUtf8(file.readAll()).trimmed();
    if (key.isEmpty())
        return makeError(u"%1 is empty"_s.arg(path));
    return key;
}

Result<void> writeFallback(const QString &path, const QString &key)
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return makeError(u"cannot create the folder of %1"_s.arg(path));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    // Owner-only before the key goes in.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(key.toUtf8() + '\n');
    if (!file.commit())
        return makeError(u"cannot write %1: %2"_s.arg(path, file.errorString()));
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return {};
}

} // namespace

QString MasterKey::generate()
{
    QByteArray bytes(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), bytes.size() / 4);
    return u"sk-"_s + QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

Result<MasterKey> MasterKey::provision(const QString &configKey, ISecretStore &secrets, const QString &fallbackPath)
{
    MasterKey result;
    result.fallbackPath = fallbackPath;
    if (!configKey.isEmpty()) {
        result.key = configKey;
        result.source = Source::Config;
        return result;
    }
    const QString name = QString::fromLatin1(SecretName);
    auto stored = secrets.readSecret(name);
    if (stored && !stored->isEmpty()) {
        result.key = *stored;
        result.source = Source::Keychain;
        return result;
    }
    result.keychainError = stored ? u"empty entry"_s : stored.error().message;

    // An earlier start without a keychain kept the key in the file: keep using it, so keys
    // handed out stay valid (and try to move it into a keychain that runs now).
    if (auto fromFile = readFallback(fallbackPath)) {
        result.key = *fromFile;
        if (secrets.writeSecret(name, result.key)) {
            QFile::remove(fallbackPath);
            result.source = Source::Keychain;
            result.keychainError.clear();
        } else {
            result.source = Source::FallbackFile;
        }
        return result;
    }

    result.key = generate();
    auto written = secrets.writeSecret(name, result.key);
    if (written) {
        result.source = Source::CreatedInKeychain;
        result.keychainError.clear();
        return result;
    }
    result.keychainError = written.error().message;
    if (auto saved = writeFallback(fallbackPath, result.key); !saved)
        return makeError(u"the master key can go neither to the keychain (%1) nor to %2 (%3)"_s.arg(
            result.keychainError, fallbackPath, saved.error().message));
    result.source = Source::CreatedInFallbackFile;
    return result;
}

QString MasterKey::fallbackNotice() const
{
    return QCoreApplication::translate("Tollgate::MasterKey",
                                       "Tollgate found no keychain on this computer, so it keeps its master key in a "
                                       "file only you can read: %1. Once a keychain is available, Tollgate moves the "
                                       "key there by itself.")
        .arg(fallbackPath);
}

} // namespace Tollgate
