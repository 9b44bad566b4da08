#include "pgtestdb.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <atomic>

using namespace Qt::StringLiterals;

namespace Tollgate::Test {

QString postgresUrl()
{
    return qEnvironmentVariable("TOLLGATE_TEST_PG_URL");
}

Result<DatabaseTarget> freshPostgresDatabase()
{
    auto base = DatabaseTarget::fromUrl(postgresUrl());
    if (!base)
        return makeError(u"TOLLGATE_TEST_PG_URL: "_s + base.error().message);
    static std::atomic<int> counter{0};
    const QString name = u"t_%1_%2_%3"_s.arg(QCoreApplication::applicationPid())
                             .arg(++counter)
                             .arg(QRandomGenerator::global()->bounded(1000000));
    const QString connection = u"tollgate-test-admin-"_s + name;
    QString error;
    {
        const auto added = base->addConnection(connection, u"tollgate-test"_s);
        QSqlDatabase admin = added ? *added : QSqlDatabase();
        if (!added) {
            error = added.error().message;
        } else if (!admin.open()) {
            error = admin.lastError().text();
        } else {
            QSqlQuery query(admin);
            if (!query.exec(u"CREATE DATABASE "_s + name))
                error = query.lastError().text();
        }
        admin.close();
    }
    QSqlDatabase::removeDatabase(connection);
    if (!error.isEmpty())
        return makeError(u"cannot create a test database on %1: %2"_s.arg(base->describe(), error));
    DatabaseTarget target = *base;
    target.database = name;
    return target;
}

} // namespace Tollgate::Test
