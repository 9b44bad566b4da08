#pragma once

#include "../models/result.h"

#include <QString>
#include <QStringList>

namespace Tollgate {

// What the user asked for on the command line.
struct CommandLine
{
    enum class Action { Run, CheckConfig, MigrateDb, Help, Version };

    Action action = Action::Run;
    bool headless = false;
    QString configPath;       // empty = the built-in default config
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 4000;
    QString databasePath;     // empty = from the config, else the per-user data dir
    // Whether --host / --port were given: the desktop app otherwise uses its settings.
    bool hostGiven = false;
    bool portGiven = false;
    // --migrate-db FROM TO: each a SQLite file path or a postgresql:// URL, as given.
    QString migrateFrom;
    QString migrateTo;

    // Parses argv (without needing a QCoreApplication). Errors say what is wrong.
    static Result<CommandLine> parse(const QStringList &arguments);
    static QString helpText();
};

} // namespace Tollgate
