#include "commandline.h"

#include <QCommandLineParser>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

struct Parser
{
    QCommandLineParser parser;
    QCommandLineOption headless{u"headless"_s, u"Run the gateway without a window (the default when there is no display)."_s};
    QCommandLineOption config{u"config"_s, u"Configuration file (LiteLLM's config.yaml schema)."_s, u"FILE"_s};
    QCommandLineOption port{u"port"_s, u"Port to listen on (default 4000)."_s, u"PORT"_s, u"4000"_s};
    QCommandLineOption host{u"host"_s, u"Address to listen on (default 127.0.0.1)."_s, u"HOST"_s, u"127.0.0.1"_s};
    QCommandLineOption db{u"db"_s, u"SQLite database file (default: general_settings.database_url, else the per-user data directory)."_s, u"FILE"_s};
    QCommandLineOption checkConfig{u"check-config"_s, u"Validate a configuration file and exit."_s, u"FILE"_s};
    QCommandLineOption migrateDb{u"migrate-db"_s,
                                 u"Copy the database FROM into the new, empty database TO (each a SQLite file or a "
                                 "postgresql:// URL), verify row counts and spend sums, and exit."_s,
                                 u"FROM TO"_s};
    QCommandLineOption help{{u"h"_s, u"help"_s}, u"Show this help and exit."_s};
    QCommandLineOption version{{u"v"_s, u"version"_s}, u"Show the version and exit."_s};

    Parser()
    {
        parser.setApplicationDescription(
            u"Tollgate — a local LLM gateway that enforces who may call which model, how fast and for how much."_s);
        parser.addOptions({headless, config, port, host, db, checkConfig, migrateDb, help, version});
    }
};

} // namespace

Result<CommandLine> CommandLine::parse(const QStringList &arguments)
{
    Parser p;
    if (!p.parser.parse(arguments))
        return makeError(p.parser.errorText());
    // --migrate-db takes two values: FROM as the option's, TO as the one positional argument.
    const QStringList positional = p.parser.positionalArguments();
    const bool migrate = p.parser.isSet(p.migrateDb);
    if (!positional.isEmpty() && !(migrate && positional.size() == 1))
        return makeError(u"unexpected argument: %1"_s.arg(positional.value(migrate ? 1 : 0)));

    CommandLine result;
    if (p.parser.isSet(p.help)) {
        result.action = Action::Help;
        return result;
    }
    if (p.parser.isSet(p.version)) {
        result.action = Action::Version;
        return result;
    }
    if (p.parser.isSet(p.checkConfig)) {
        result.action = Action::CheckConfig;
        result.configPath = p.parser.value(p.checkConfig);
        return result;
    }
    if (migrate) {
        result.action = Action::MigrateDb;
        result.migrateFrom = p.parser.value(p.migrateDb);
        result.migrateTo = positional.value(0);
        if (result.migrateFrom.isEmpty() || result.migrateTo.isEmpty())
            return makeError(u"--migrate-db needs two databases: --migrate-db FROM TO"_s);
        return result;
    }
    result.headless = p.parser.isSet(p.headless);
    result.configPath = p.parser.value(p.config);
    result.host = p.parser.value(p.host);
    result.databasePath = p.parser.value(p.db);
    bool ok = false;
    const uint port = p.parser.value(p.port).toUInt(&ok);
    if (!ok || port > 65535)
        return makeError(u"--port must be a number from 0 to 65535, not '%1'"_s.arg(p.parser.value(p.port)));
    result.port = quint16(port);
    result.hostGiven = p.parser.isSet(p.host);
    result.portGiven = p.parser.isSet(p.port);
    if (p.parser.isSet(p.config) && result.configPath.isEmpty())
        return makeError(u"--config needs a file name"_s);
    return result;
}

QString CommandLine::helpText()
{
    Parser p;
    // Drop Qt's own usage line (it names the binary's path); ours comes first.
    const QString text = p.parser.helpText();
    return u"Usage: tollgate [--headless] [--config FILE] [--port 4000] [--host 127.0.0.1] [--db FILE]\n"
           "       tollgate --check-config FILE\n"
           "       tollgate --migrate-db FROM TO\n\n"_s
           + text.section(u'\n', 1)
           + u"\nWithout --config the built-in configuration serves mock models (no API key needed).\n"
             "\n--migrate-db FROM TO copies a Tollgate database, e.g. from SQLite into PostgreSQL:\n"
             "  tollgate --migrate-db tollgate.db postgresql://tollgate@dbhost:5432/tollgate\n"
             "FROM and TO are each a SQLite file or a postgresql:// URL (either direction). Stop the\n"
             "gateways on both first (a database a gateway runs on is refused). FROM is opened as a\n"
             "gateway start would open it (its schema brought to this version, its spend journal folded\n"
             "in); TO is created and must hold no rows. Every table is copied with its ids in one\n"
             "transaction, then row counts and spend sums are compared and listed. Keep the password out\n"
             "of the command line with PGPASSWORD or ~/.pgpass.\n"
             "Exit codes: 0 ok, 2 bad command line or configuration, 1 other errors (--migrate-db: also a\n"
             "count or sum that differs after the copy).\n"_s;
}

} // namespace Tollgate
