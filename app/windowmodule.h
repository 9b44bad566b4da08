#pragma once

#include <QString>
#include <QStringList>

// The window (Qt Widgets, Charts, the pages and the desktop app) lives in a module of its own,
// loaded only when a window opens: a headless gateway never maps Widgets/Gui/Charts (issue #16,
// idle memory). The executable holds the gateway; the module holds ui/ and app/desktop.cpp.

// The one symbol the module exports (see windowentry.cpp and tollgate-window.map): builds the
// QApplication from argc/argv, parses the command line again and runs the desktop app.
// Returns the process exit code. argc must outlive the call (QApplication keeps a reference).
extern "C" {
using TollgateWindowRun = int (*)(int *argc, char **argv);
}
#define TOLLGATE_WINDOW_ENTRY "tollgate_window_run"

namespace Tollgate::Window {

// True when a window can be shown (a display, or a Qt platform chosen explicitly). Reads the
// environment only: no Qt GUI library is needed to answer.
bool displayAvailable();

// Where the module is looked for, in order: next to the executable (the build tree's bin/),
// then ../lib/tollgate relative to it (the installed layout).
QStringList moduleCandidates(const QString &executableDir);

// Loads the module and runs the desktop app in it. No Q*Application may exist yet: the module
// creates the QApplication. A missing or broken module is an error (exit code 1) that says where
// it was looked for; it never falls back to headless silently.
int run(int &argc, char **argv);

} // namespace Tollgate::Window
