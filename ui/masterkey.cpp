#include "masterkey.h"

#include "apiclient.h"

#include "models/secretstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QTimer>

#include <cstdio>

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

// Whether the fallback file holds `key` (and nothing else).
bool fallbackHolds(const QString &path, const QString &key)
{
    auto stored = readFallback(path);
    return stored && *stored == key;
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

// ---------------------------------------------------------------------------------------
// MasterKeyKeeper

struct MasterKeyKeeper::Attempt
{
    Done done;
    bool settled = false;
    bool saving = false;          // save() rather than provision()
    bool loading = false;         // load(): an existing key or an error, never a new key
    QString pendingKey;           // the key being written to the keychain
    QString keychainError;        // why the keychain was not used
    QString keyInUse;             // once settled: the key handed out
};

MasterKeyKeeper::MasterKeyKeeper(IAsyncSecretStore *secrets, QString fallbackPath, QObject *parent,
                                 QString secretName)
    : QObject(parent), m_secrets(secrets), m_fallbackPath(std::move(fallbackPath)), m_secretName(std::move(secretName))
{
}

MasterKeyKeeper::~MasterKeyKeeper() = default;

void MasterKeyKeeper::provision(const QString &configKey, Done done)
{
    if (!configKey.isEmpty()) {
        MasterKey result;
        result.key = configKey;
        result.source = MasterKey::Source::Config;
        result.fallbackPath = m_fallbackPath;
        done(result);
        return;
    }
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    QTimer::singleShot(m_timeout, this, [this, attempt] { timedOut(attempt); });
    m_secrets->readSecretAsync(m_secretName, this, [this, attempt](Result<QString> stored) {
        provisionFromKeychainAnswer(attempt, std::move(stored));
    });
}

void MasterKeyKeeper::load(Done done)
{
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    attempt->loading = true;
    QTimer::singleShot(m_timeout, this, [this, attempt] { timedOut(attempt); });
    m_secrets->readSecretAsync(m_secretName, this, [this, attempt](Result<QString> stored) {
        if (attempt->settled)
            return;
        MasterKey result;
        result.fallbackPath = m_fallbackPath;
        if (stored && !stored->isEmpty()) {
            result.key = *stored;
            result.source = MasterKey::Source::Keychain;
            settle(attempt, result);
            return;
        }
        result.keychainError = stored ? u"empty entry"_s : stored.error().message;
        attempt->keychainError = result.keychainError;
        if (auto fromFile = readFallback(m_fallbackPath)) {
            // Kept in the file while no keychain answered: it moves into the keychain when one
            // takes it now (the file goes), else it stays where it is.
            writeToKeychain(attempt, *fromFile, MasterKey::Source::Keychain);
            return;
        }
        settle(attempt, makeError(u"no key is stored (%1)"_s.arg(result.keychainError)));
    });
}

void MasterKeyKeeper::save(const QString &key, Done done)
{
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    attempt->saving = true;
    QTimer::singleShot(m_timeout, this, [this, attempt] { timedOut(attempt); });
    writeToKeychain(attempt, key, MasterKey::Source::Keychain);
}

void MasterKeyKeeper::provisionFromKeychainAnswer(const std::shared_ptr<Attempt> &attempt, Result<QString> stored)
{
    if (attempt->settled) {
        // Too late for this run: the gateway already serves the key from the fallback file.
        std::fprintf(stderr, "tollgate: the keychain answered after the time-out; this run keeps its master key\n");
        return;
    }
    if (stored && !stored->isEmpty()) {
        MasterKey result;
        result.key = *stored;
        result.source = MasterKey::Source::Keychain;
        result.fallbackPath = m_fallbackPath;
        settle(attempt, result);
        return;
    }
    attempt->keychainError = stored ? u"empty entry"_s : stored.error().message;
    // As MasterKey::provision: a key an earlier start kept in the file stays the key (and moves
    // into the keychain if it takes it); otherwise a new one.
    if (auto fromFile = readFallback(m_fallbackPath))
        writeToKeychain(attempt, *fromFile, MasterKey::Source::Keychain);
    else
        writeToKeychain(attempt, MasterKey::generate(), MasterKey::Source::CreatedInKeychain);
}

void MasterKeyKeeper::writeToKeychain(const std::shared_ptr<Attempt> &attempt, const QString &key,
                                      MasterKey::Source onSuccess)
{
    attempt->pendingKey = key;
    m_secrets->writeSecretAsync(
        m_secretName, key, this, [this, attempt, key, onSuccess](Result<void> written) {
            if (attempt->settled) {
                // The user completed the keychain's dialog after the time-out. When the keychain
                // now holds the key in use, the file is no longer needed: the next start finds
                // the same key in the keychain.
                if (written && attempt->keyInUse == key && fallbackHolds(m_fallbackPath, key))
                    QFile::remove(m_fallbackPath);
                return;
            }
            MasterKey result;
            result.key = key;
            result.fallbackPath = m_fallbackPath;
            if (written) {
                QFile::remove(m_fallbackPath);
                result.source = onSuccess;
                settle(attempt, result);
                return;
            }
            attempt->keychainError = written.error().message;
            const bool fromFile = !attempt->saving && fallbackHolds(m_fallbackPath, key);
            if (fromFile) {
                result.source = MasterKey::Source::FallbackFile;
                result.keychainError = attempt->keychainError;
                settle(attempt, result);
                return;
            }
            if (auto saved = writeFallback(m_fallbackPath, key); !saved) {
                settle(attempt, makeError(u"the master key can go neither to the keychain (%1) nor to %2 (%3)"_s.arg(
                                    attempt->keychainError, m_fallbackPath, saved.error().message)));
                return;
            }
            result.source = attempt->saving ? MasterKey::Source::FallbackFile : MasterKey::Source::CreatedInFallbackFile;
            result.keychainError = attempt->keychainError;
            settle(attempt, result);
        });
}

void MasterKeyKeeper::timedOut(const std::shared_ptr<Attempt> &attempt)
{
    if (attempt->settled)
        return;
    const QString why = u"the keychain did not answer within %1 ms"_s.arg(m_timeout.count());
    attempt->keychainError = attempt->keychainError.isEmpty() ? why : attempt->keychainError + u"; "_s + why;
    MasterKey result;
    result.fallbackPath = m_fallbackPath;
    result.keychainError = attempt->keychainError;
    result.keychainTimedOut = true;
    if (attempt->loading) {
        // Nothing to make up: the file's key, else the user enters the key again.
        if (auto fromFile = readFallback(m_fallbackPath)) {
            result.key = *fromFile;
            result.source = MasterKey::Source::FallbackFile;
            settle(attempt, result);
        } else {
            settle(attempt, makeError(why));
        }
        return;
    }
    if (!attempt->saving) {
        if (auto fromFile = readFallback(m_fallbackPath)) {
            result.key = *fromFile;
            result.source = MasterKey::Source::FallbackFile;
            settle(attempt, result);
            return;
        }
    }
    // The key being written to the keychain, if any: should the write still succeed, the
    // keychain and the file hold the same key.
    result.key = attempt->pendingKey.isEmpty() ? MasterKey::generate() : attempt->pendingKey;
    result.source = attempt->saving ? MasterKey::Source::FallbackFile : MasterKey::Source::CreatedInFallbackFile;
    if (auto saved = writeFallback(m_fallbackPath, result.key); !saved) {
        settle(attempt, makeError(u"the master key can go neither to the keychain (%1) nor to %2 (%3)"_s.arg(
                            attempt->keychainError, m_fallbackPath, saved.error().message)));
        return;
    }
    settle(attempt, result);
}

void MasterKeyKeeper::settle(const std::shared_ptr<Attempt> &attempt, Result<MasterKey> result)
{
    if (attempt->settled)
        return;
    attempt->settled = true;
    if (result)
        attempt->keyInUse = result->key;
    // Called last: `done` may start the gateway, show dialogs, even delete this keeper.
    auto done = std::move(attempt->done);
    done(std::move(result));
}

QString MasterKey::fallbackNotice() const
{
    if (keychainTimedOut)
        return QCoreApplication::translate("Tollgate::MasterKey",
                                           "The keychain did not answer in time, so Tollgate keeps its master key in a "
                                           "file only you can read: %1. Once the keychain answers, Tollgate moves the "
                                           "key there by itself.")
            .arg(fallbackPath);
    return QCoreApplication::translate("Tollgate::MasterKey",
                                       "Tollgate found no keychain on this computer, so it keeps its master key in a "
                                       "file only you can read: %1. Once a keychain is available, Tollgate moves the "
                                       "key there by itself.")
        .arg(fallbackPath);
}

void rotateMasterKey(MasterKeyKeeper &keeper, ApiClient &api, std::function<bool(const QString &)> apply,
                     MasterKeyKeeper::Done done)
{
    const QString key = MasterKey::generate();
    keeper.save(key, [&api, key, apply = std::move(apply), done = std::move(done)](Result<MasterKey> saved) {
        if (!saved) {
            done(saved.error());
            return;
        }
        if (!apply(key)) {
            done(makeError(u"the new master key is saved but the gateway does not run to take it; it applies at the "
                           "next start"_s));
            return;
        }
        api.setMasterKey(key);
        done(std::move(saved));
    });
}

} // namespace Tollgate
