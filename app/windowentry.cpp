// The window module's entry point: what main() did for the window before the window moved out of
// the executable (see windowmodule.h).
#include "commandline.h"
#include "desktop.h"
#include "windowmodule.h"

#include <QApplication>

#include <cstdio>
#include <type_traits>

extern "C" __attribute__((visibility("default"))) int tollgate_window_run(int *argc, char **argv)
{
    // The executable parsed the same arguments before it loaded the module; parsing them here
    // keeps the entry point's signature free of C++ types whose layout both sides must share.
    QStringList arguments;
    for (int i = 0; i < *argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    auto commandLine = Tollgate::CommandLine::parse(arguments);
    if (!commandLine) {
        std::fprintf(stderr, "tollgate: %s\n", qPrintable(commandLine.error().message));
        return 2;
    }
    QApplication app(*argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tollgate"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TOLLGATE_VERSION));
    return Tollgate::Desktop::run(*commandLine);
}

// The signature main() calls it through.
static_assert(std::is_same_v<decltype(&tollgate_window_run), TollgateWindowRun>);
