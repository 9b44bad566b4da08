#pragma once

#include "commandline.h"

namespace Tollgate::Desktop {

// True when a window can be shown (a display, or a Qt platform chosen explicitly).
bool displayAvailable();

// The desktop app: one instance per user, the gateway in-process on its own thread, the
// master key from the keychain, the window and the tray icon. Needs a QApplication.
// Returns the process exit code.
int run(const CommandLine &commandLine);

} // namespace Tollgate::Desktop
