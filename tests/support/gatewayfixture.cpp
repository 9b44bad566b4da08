#include "gatewayfixture.h"

#include "pgtestdb.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>

using namespace Qt::StringLiterals;

namespace Tollgate::Test {

namespace {

Deployment mockDeployment(const QString &name, const QString &id, const QStringList &groups)
{
    Deployment d;
    d.modelName = name;
    d.id = id;
    d.provider = Provider::Mock;
    d.providerName = u"mock"_s;
    d.upstreamModel = name;
    d.accessGroups = groups;
    d.inputCostPerToken = 0.000001;
    d.outputCostPerToken = 0.000002;
    return d;
}

} // namespace

Config GatewayFixture::defaultConfig()
{
    Config config;
    config.sourceFile = u"<fixture>"_s;
    config.general.masterKey = QString::fromLatin1(MasterKey);
    config.models = {mockDeployment(u"gpt-a"_s, u"gpt-a-1"_s, {u"beta"_s, u"all-team"_s}),
                     mockDeployment(u"gpt-b"_s, u"gpt-b-1"_s, {u"all-team"_s}),
                     mockDeployment(u"gpt-c"_s, u"gpt-c-1"_s, {})};
    return config;
}

GatewayFixture::GatewayFixture(Config config) : m_config(std::move(config)) {}

GatewayFixture::~GatewayFixture()
{
    stop();
}

QString GatewayFixture::databasePath() const
{
    if (m_postgres)
        return m_postgres->describe();
    return m_dir.filePath(u"gateway.db"_s);
}

QByteArray GatewayFixture::storedBytes()
{
    QByteArray everything;
    if (!m_postgres) {
        for (const QString &suffix : {QString(), u"-wal"_s, u"-shm"_s, u"-journal"_s}) {
            QFile file(databasePath() + suffix);
            if (file.open(QIODevice::ReadOnly))
                everything += file.readAll();
        }
        return everything;
    }
    const auto rows = m_store.readNow([](QSqlDatabase &db) -> QVariant {
        QByteArray text;
        QSqlQuery tables(db);
        if (!tables.exec(u"SELECT tablename FROM pg_tables WHERE schemaname = 'public'"_s))
            return {};
        QStringList names;
        while (tables.next())
            names.append(tables.value(0).toString());
        for (const QString &name : std::as_const(names)) {
            QSqlQuery query(db);
            if (!query.exec(u"SELECT row_to_json(t)::text FROM %1 t"_s.arg(name)))
                continue;
            while (query.next())
                text += query.value(0).toString().toUtf8() + '\n';
        }
        return text;
    });
    return rows ? rows->toByteArray() : QByteArray();
}

bool GatewayFixture::start()
{
    if (!m_postgres && !postgresUrl().isEmpty()) {
        auto fresh = freshPostgresDatabase();
        if (!fresh) {
            m_lastError = fresh.error().message;
            return false;
        }
        m_postgres = *fresh;
        m_postgres->journalPath = m_dir.filePath(u"journal/pg"_s);
    }
    if (!m_store.isOpen()) {
        if (auto opened = m_postgres ? m_store.open(*m_postgres) : m_store.open(databasePath()); !opened) {
            m_lastError = opened.error().message;
            return false;
        }
    }
    Gateway::Options options;
    options.port = 0;
    options.secrets = &m_secrets;
    options.clock = m_clock;
    auto started = m_gateway.start(m_config, &m_store, options);
    if (!started) {
        m_lastError = started.error().message;
        return false;
    }
    m_port = *started;
    return true;
}

void GatewayFixture::stop()
{
    m_gateway.stop();
    m_store.close();
    m_port = 0;
}

bool GatewayFixture::restart()
{
    stop();
    return start();
}

std::unique_ptr<HttpClient> GatewayFixture::client(const QByteArray &key) const
{
    auto client = std::make_unique<HttpClient>(m_port);
    if (!key.isEmpty())
        client->setDefaultHeaders({{"Authorization", "Bearer " + key}});
    return client;
}

HttpClient::Response GatewayFixture::post(const QByteArray &path, const QJsonObject &body, const QByteArray &key) const
{
    return client(key)->postJson(path, body);
}

HttpClient::Response GatewayFixture::get(const QByteArray &path, const QByteArray &key) const
{
    return client(key)->get(path);
}

} // namespace Tollgate::Test
