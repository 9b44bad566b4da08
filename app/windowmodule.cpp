#include "windowmodule.h"

#include <QDir>
#include <QFileInfo>
#include <QLibrary>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace Tollgate::Window {

namespace {

// The directory of the running executable. No QCoreApplication exists yet (the module creates
// the QApplication), so applicationDirPath() cannot answer; /proc/self/exe can.
QString executableDir(const char *argv0)
{
    const QFileInfo self(u"/proc/self/exe"_s);
    if (const QString path = self.canonicalFilePath(); !path.isEmpty())
        return QFileInfo(path).absolutePath();
    return QFileInfo(QString::fromLocal8Bit(argv0)).absolutePath();
}

} // namespace

bool displayAvailable()
{
    return qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY")
        || qEnvironmentVariableIsSet("WAYLAND_DISPLAY");
}

QStringList moduleCandidates(const QString &executableDir)
{
    const QDir dir(executableDir);
    return {QDir::cleanPath(dir.filePath(QStringLiteral(TOLLGATE_WINDOW_MODULE_FILE))),
            QDir::cleanPath(dir.filePath(u"../lib/tollgate/"_s + QStringLiteral(TOLLGATE_WINDOW_MODULE_FILE)))};
}

int run(int &argc, char **argv)
{
    const QStringList candidates = moduleCandidates(executableDir(argc > 0 ? argv[0] : ""));
    QString found;
    for (const QString &candidate : candidates) {
        if (QFileInfo::exists(candidate)) {
            found = candidate;
            break;
        }
    }
    if (found.isEmpty()) {
        std::fprintf(stderr,
                     "tollgate: the window module %s is not installed (looked for %s); "
                     "run with --headless, or install Tollgate's window module.\n",
                     TOLLGATE_WINDOW_MODULE_FILE, qPrintable(candidates.join(u" and "_s)));
        return 1;
    }
    // Never unloaded: the module's statics live until exit, like the executable's.
    QLibrary module(found);
    if (!module.load()) {
        std::fprintf(stderr, "tollgate: cannot load the window module: %s\n", qPrintable(module.errorString()));
        return 1;
    }
    const auto entry = reinterpret_cast<TollgateWindowRun>(module.resolve(TOLLGATE_WINDOW_ENTRY));
    if (!entry) {
        std::fprintf(stderr, "tollgate: %s is not Tollgate's window module: %s\n", qPrintable(found),
                     qPrintable(module.errorString()));
        return 1;
    }
    return entry(&argc, argv);
}

} // namespace Tollgate::Window
