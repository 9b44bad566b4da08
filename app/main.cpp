#include "application.h"
#include "commandline.h"
#include "runtime.h"
#include "windowmodule.h"

#include <QCoreApplication>

#include <cstdio>

#include <sys/stat.h>

int main(int argc, char *argv[])
{
    // Every file Tollgate writes holds keys' hashes, spend or settings: the database and its
    // -wal/-shm, the spend journal, the lock file, QSettings, the master key fallback, CSV
    // exports are the user's alone (0600, directories 0700), in the desktop and headless
    // modes alike. The places that create them also ask for 0600 themselves.
    ::umask(077);
    // First: no category may log a request's Authorization header, in any mode.
    Tollgate::Runtime::installLogFilter();

    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    // Parsed before any Q*Application exists: the window's module creates a QApplication,
    // headless runs must not touch a display.
    auto commandLine = Tollgate::CommandLine::parse(arguments);
    if (!commandLine) {
        std::fprintf(stderr, "tollgate: %s\nTry 'tollgate --help'.\n", qPrintable(commandLine.error().message));
        return 2;
    }
    const bool run = commandLine->action == Tollgate::CommandLine::Action::Run;
    if (run && !commandLine->headless && !Tollgate::Window::displayAvailable()) {
        std::fprintf(stderr, "tollgate: no display found; running headless (pass --headless to say so).\n");
        commandLine->headless = true;
    }

    // The window (Widgets, Gui, Charts and the pages) is loaded only now that one opens: a
    // headless gateway never maps those libraries.
    if (run && !commandLine->headless)
        return Tollgate::Window::run(argc, argv);

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tollgate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TOLLGATE_VERSION));

    Tollgate::Application application(std::move(*commandLine));
    return application.run();
}
