#pragma once

#include "commandline.h"

namespace Tollgate::Desktop {

// The desktop app: one instance per user, the gateway in-process on its own thread, the
// master key from the keychain, the window and the tray icon. Needs a QApplication. Part of
// the window module (windowentry.cpp calls it), never of the executable.
// Returns the process exit code.
int run(const CommandLine &commandLine);

} // namespace Tollgate::Desktop
