#pragma once

#include "commandline.h"

namespace Tollgate {

// Builds and wires the parts for one run: secrets, config, store, gateway thread, signal
// handling. main() only picks the application type and calls run().
class Application final
{
public:
    explicit Application(CommandLine commandLine);

    // Returns the process exit code: 0 ok, 2 bad command line/config, 1 other errors.
    int run();

private:
    int checkConfig();
    int migrateDb();
    int serve();

    CommandLine m_commandLine;
};

} // namespace Tollgate
