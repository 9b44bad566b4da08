#include "headlessgateway.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace Tollgate::Test {

QString tollgateBinary()
{
    return qEnvironmentVariable("TOLLGATE_BINARY");
}

quint16 waitForListening(QProcess &process, int timeoutMs)
{
    if (!process.waitForStarted(10000))
        return 0;
    QByteArray output;
    static const QRegularExpression listening(u"listening on http://127\\.0\\.0\\.1:(\\d+)/v1"_s);
    QElapsedTimer elapsed;
    elapsed.start();
    while (elapsed.elapsed() < timeoutMs) {
        process.waitForReadyRead(100);
        output += process.readAllStandardOutput();
        const auto match = listening.match(QString::fromUtf8(output));
        if (match.hasMatch())
            return quint16(match.captured(1).toUInt());
        if (process.state() == QProcess::NotRunning)
            break;
    }
    qWarning() << "gateway did not start:" << output << process.readAllStandardError();
    return 0;
}

quint16 startHeadlessGateway(QProcess &process, const QString &config, const QStringList &extra)
{
    process.start(tollgateBinary(), QStringList{u"--headless"_s, u"--config"_s, config, u"--port"_s, u"0"_s} + extra);
    return waitForListening(process);
}

QByteArray pricedMockConfig(const QByteArray &masterKey)
{
    return "model_list:\n"
           "  - model_name: priced\n"
           "    litellm_params:\n"
           "      model: mock/priced\n"
           "      input_cost_per_token: 0.000001\n"
           "      output_cost_per_token: 0.000002\n"
           "general_settings:\n"
           "  master_key: "
           + masterKey + "\n";
}

} // namespace Tollgate::Test
