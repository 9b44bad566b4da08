#include "secretstore.h"

#include <QEventLoop>
#include <QProcessEnvironment>
#include <QTimer>

#include <qt6keychain/keychain.h>

#include <memory>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// How long a keychain call may take. Generous, because the OS may show an unlock
// prompt; bounded, because without a running glib main loop (QT_NO_GLIB=1) libsecret
// never calls back and a blocking read must not hang start-up for ever.
constexpr int kKeychainTimeoutMs = 60'000;

const QString kEnvPrefix = u"TOLLGATE_SECRET_"_s;

// Secret names as environment variable suffixes: "openai-key" -> "OPENAI_KEY".
QString envSuffix(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (QChar c : name) {
        const char16_t u = c.unicode();
        const bool alnum = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z')
                           || (u >= u'0' && u <= u'9');
        out.append(alnum ? c.toUpper() : QChar(u'_'));
    }
    return out;
}

QString howToProvide(const QString &name)
{
    return u"provide it instead through the environment variable "_s + kEnvPrefix
           + envSuffix(name) + u", or write os.environ/<VARIABLE> instead of keychain/"_s
           + name + u" in the config"_s;
}

// Turns a finished job's failure into an Error. QtKeychain's errorString() describes the
// backend (D-Bus, libsecret) and never contains the secret value.
Error jobError(const QKeychain::Job &job, const QString &name, const QString &action)
{
    const QString detail = job.errorString();
    switch (job.error()) {
    case QKeychain::EntryNotFound:
        return makeError(u"secret "_s + name + u" not found in the keychain"_s);
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return makeError(u"access to the keychain was denied while trying to "_s + action
                         + u" secret "_s + name + u" ("_s + detail + u"); "_s
                         + howToProvide(name));
    case QKeychain::CouldNotDeleteEntry:
        return makeError(u"could not delete secret "_s + name + u" from the keychain ("_s
                         + detail + u')');
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
    case QKeychain::OtherError:
    case QKeychain::NoError:
        break;
    }
    // Without a Secret Service the Debian build reports OtherError (see qt64-notes).
    return makeError(u"the keychain is not available (no Secret Service answered: "_s + detail
                     + u"), so secret "_s + name + u" cannot be "_s + action + u"; "_s
                     + howToProvide(name));
}

// Runs a job to completion on a local event loop: the interface is blocking.
// Returns false if the keychain did not answer in time.
bool runJob(QKeychain::Job &job)
{
    job.setAutoDelete(false);
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    bool finished = false;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, [&] {
        finished = true;
        loop.quit();
    });
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    timer.start(kKeychainTimeoutMs);
    job.start();
    if (!finished)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    QObject::disconnect(&job, nullptr, &loop, nullptr);
    return finished;
}

// A job that timed out is still running inside the backend; deleting it now would
// leave the backend calling into freed memory, so it deletes itself when it ends.
void abandon(std::unique_ptr<QKeychain::Job> job)
{
    job.release()->setAutoDelete(true);
}

Error timeoutError(const QString &name, const QString &action)
{
    return makeError(u"the keychain did not answer within "_s
                     + QString::number(kKeychainTimeoutMs / 1000) + u" s, so secret "_s + name
                     + u" cannot be "_s + action + u"; "_s + howToProvide(name));
}

Error emptyNameError()
{
    return makeError(u"a secret needs a name"_s);
}

} // namespace

// ---------------------------------------------------------------------------------------
// KeychainSecretStore

KeychainSecretStore::KeychainSecretStore(QString service) : m_service(std::move(service)) {}

Result<QString> KeychainSecretStore::readSecret(const QString &name)
{
    if (name.isEmpty())
        return emptyNameError();
    auto job = std::make_unique<QKeychain::ReadPasswordJob>(m_service);
    job->setKey(name);
    if (!runJob(*job)) {
        abandon(std::move(job));
        return timeoutError(name, u"read"_s);
    }
    if (job->error() != QKeychain::NoError)
        return jobError(*job, name, u"read"_s);
    return job->textData();
}

Result<void> KeychainSecretStore::writeSecret(const QString &name, const QString &value)
{
    if (name.isEmpty())
        return emptyNameError();
    auto job = std::make_unique<QKeychain::WritePasswordJob>(m_service);
    job->setKey(name);
    job->setTextData(value);
    if (!runJob(*job)) {
        abandon(std::move(job));
        return timeoutError(name, u"written"_s);
    }
    if (job->error() != QKeychain::NoError)
        return jobError(*job, name, u"written"_s);
    return {};
}

Result<void> KeychainSecretStore::deleteSecret(const QString &name)
{
    if (name.isEmpty())
        return emptyNameError();
    auto job = std::make_unique<QKeychain::DeletePasswordJob>(m_service);
    job->setKey(name);
    if (!runJob(*job)) {
        abandon(std::move(job));
        return timeoutError(name, u"deleted"_s);
    }
    // Deleting what is not there leaves the keychain as asked: not an error.
    if (job->error() != QKeychain::NoError && job->error() != QKeychain::EntryNotFound)
        return jobError(*job, name, u"deleted"_s);
    return {};
}

void KeychainSecretStore::readSecretAsync(const QString &name, QObject *context, ReadDone done)
{
    if (name.isEmpty()) {
        done(emptyNameError());
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(name);
    QObject::connect(job, &QKeychain::Job::finished, context, [job, name, done = std::move(done)] {
        if (job->error() != QKeychain::NoError)
            done(jobError(*job, name, u"read"_s));
        else
            done(job->textData());
    });
    job->start();
}

void KeychainSecretStore::writeSecretAsync(const QString &name, const QString &value, QObject *context,
                                           WriteDone done)
{
    if (name.isEmpty()) {
        done(emptyNameError());
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setAutoDelete(true);
    job->setKey(name);
    job->setTextData(value);
    QObject::connect(job, &QKeychain::Job::finished, context, [job, name, done = std::move(done)] {
        if (job->error() != QKeychain::NoError)
            done(jobError(*job, name, u"written"_s));
        else
            done(Result<void>{});
    });
    job->start();
}

QString KeychainSecretStore::backendName() const
{
    return u"OS keychain (service \""_s + m_service + u"\")"_s;
}

// ---------------------------------------------------------------------------------------
// MemorySecretStore

MemorySecretStore::MemorySecretStore(QHash<QString, QString> secrets)
    : m_secrets(std::move(secrets))
{
}

MemorySecretStore MemorySecretStore::fromEnvironment()
{
    // A snapshot taken once, at start-up: the environment is the user's to set before
    // launching, not a store that changes underneath a running gateway.
    MemorySecretStore store;
    store.m_fromEnvironment = true;
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList keys = env.keys();
    for (const QString &key : keys) {
        if (key.startsWith(kEnvPrefix) && key.size() > kEnvPrefix.size())
            store.m_secrets.insert(key.mid(kEnvPrefix.size()), env.value(key));
    }
    return store;
}

Result<QString> MemorySecretStore::readSecret(const QString &name)
{
    if (name.isEmpty())
        return emptyNameError();
    const QString key = m_fromEnvironment ? envSuffix(name) : name;
    const auto it = m_secrets.constFind(key);
    if (it == m_secrets.constEnd()) {
        if (m_fromEnvironment)
            return makeError(u"secret "_s + name + u" not found: the keychain is not in use "
                                                    "and the environment variable "_s
                             + kEnvPrefix + key + u" is not set"_s);
        return makeError(u"secret "_s + name + u" not found"_s);
    }
    return *it;
}

Result<void> MemorySecretStore::writeSecret(const QString &name, const QString &value)
{
    if (name.isEmpty())
        return emptyNameError();
    // A secret "saved" into the process environment would be gone at the next start;
    // say so instead of pretending it was stored.
    if (m_fromEnvironment)
        return makeError(u"secret "_s + name + u" cannot be saved: no keychain is available "
                                                "and environment secrets are read-only; set "_s
                         + kEnvPrefix + envSuffix(name) + u" before starting Tollgate"_s);
    m_secrets.insert(name, value);
    return {};
}

Result<void> MemorySecretStore::deleteSecret(const QString &name)
{
    if (name.isEmpty())
        return emptyNameError();
    if (m_fromEnvironment)
        return makeError(u"secret "_s + name + u" cannot be deleted: it comes from the "
                                                "environment variable "_s
                         + kEnvPrefix + envSuffix(name) + u"; unset it before starting Tollgate"_s);
    m_secrets.remove(name);
    return {};
}

void MemorySecretStore::readSecretAsync(const QString &name, QObject *, ReadDone done)
{
    done(readSecret(name));
}

void MemorySecretStore::writeSecretAsync(const QString &name, const QString &value, QObject *, WriteDone done)
{
    done(writeSecret(name, value));
}

QString MemorySecretStore::backendName() const
{
    if (m_fromEnvironment)
        return u"environment (TOLLGATE_SECRET_<NAME>)"_s;
    return u"memory"_s;
}

} // namespace Tollgate
