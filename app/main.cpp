#include "application.h"
#include "commandline.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    // Parsed before any Q*Application exists: the desktop app (later) needs QApplication,
    // headless runs must not touch a display.
    auto commandLine = Tollgate::CommandLine::parse(arguments);
    if (!commandLine) {
        std::fprintf(stderr, "tollgate: %s\nTry 'tollgate --help'.\n", qPrintable(commandLine.error().message));
        return 2;
    }

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tollgate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TOLLGATE_VERSION));

    Tollgate::Application application(std::move(*commandLine));
    return application.run();
}
