#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace Tollgate::Test {

// The real binary in the tests that run it (CTest sets TOLLGATE_BINARY: build/dev/bin/tollgate).
QString tollgateBinary();

// Waits for a started `tollgate --headless` to print its "listening on http://127.0.0.1:PORT/v1"
// line: the port, or 0 when the process ends first or takes longer than `timeoutMs` (what it
// printed then goes to the test log). Set the process's environment or log file before starting it.
quint16 waitForListening(QProcess &process, int timeoutMs = 15000);

// Starts `tollgate --headless --config CONFIG --port 0` and `extra`, then waitForListening.
quint16 startHeadlessGateway(QProcess &process, const QString &config, const QStringList &extra = {});

// A config.yaml's model list with one model, `priced`: a mock deployment at $1 / $2 per million
// input / output tokens, and `general_settings:` with `masterKey` — append more of its lines.
QByteArray pricedMockConfig(const QByteArray &masterKey);

} // namespace Tollgate::Test
