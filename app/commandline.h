#pragma once

#include "../models/result.h"

#include <QString>
#include <QStringList>

namespace Tollgate {

// What the user asked for on the command line.
struct CommandLine
{
    enum class Action { Run, CheckConfig, Help, Version };

    Action action = Action::Run;
    bool headless = false;
    QString configPath;       // empty = the built-in default config
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 4000;
    QString databasePath;     // empty = from the config, else the per-user data dir
    // Whether --host / --port were given: the desktop app otherwise uses its settings.
    bool hostGiven = false;
    bool portGiven = false;

    // Parses argv (without needing a QCoreApplication). Errors say what is wrong.
    static Result<CommandLine> parse(const QStringList &arguments);
    static QString helpText();
};

} // namespace Tollgate
