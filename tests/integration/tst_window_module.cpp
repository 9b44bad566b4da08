// The window lives in a module of its own (tollgate-window.so) that the real binary loads only
// when a window opens (issue #16: idle memory). Headless, the process maps no Qt Widgets, Gui or
// Charts; with a window (offscreen), the module loads and the in-process gateway answers; without
// the module, the window fails with a clear message while --help, --version and --check-config
// still work. libcurl too is loaded only when a call needs it (https, a host name, a proxy): a
// plain-http provider at an address never maps it.
#include "tests/support/fakeprovider.h"
#include "tests/support/headlessgateway.h"
#include "tests/support/httpclient.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace Tollgate::Test;
using namespace Qt::StringLiterals;

namespace {

const QStringList WindowLibraries = {u"libQt6Widgets"_s, u"libQt6Gui"_s, u"libQt6Charts"_s};

bool writeConfig(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    // A master key in the config: the window then never waits for a keychain.
    file.write(pricedMockConfig("sk-window-module-master"));
    return true;
}

// A private HOME and XDG directories (settings, data, the single-instance socket), the offscreen
// platform and a short keychain wait, as tests/ui run the window.
QProcessEnvironment windowEnvironment(const QString &root)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QStringList dirs = {u"home"_s, u"config"_s, u"data"_s, u"cache"_s, u"runtime"_s};
    for (const QString &dir : dirs)
        QDir(root).mkpath(dir);
    QFile::setPermissions(root + u"/runtime"_s, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    env.insert(u"HOME"_s, root + u"/home"_s);
    env.insert(u"XDG_CONFIG_HOME"_s, root + u"/config"_s);
    env.insert(u"XDG_DATA_HOME"_s, root + u"/data"_s);
    env.insert(u"XDG_CACHE_HOME"_s, root + u"/cache"_s);
    env.insert(u"XDG_RUNTIME_DIR"_s, root + u"/runtime"_s);
    env.insert(u"QT_QPA_PLATFORM"_s, u"offscreen"_s);
    env.insert(u"TOLLGATE_KEYCHAIN_TIMEOUT_MS"_s, u"2000"_s);
    env.remove(u"DBUS_SESSION_BUS_ADDRESS"_s);
    return env;
}

// Waits until `pattern` appears on the channel (everything read is added to `output`).
QRegularExpressionMatch waitForMatch(QProcess &process, QProcess::ProcessChannel channel,
                                     const QRegularExpression &pattern, QByteArray &output)
{
    process.setReadChannel(channel);
    QRegularExpressionMatch match;
    for (int i = 0; i < 200; ++i) {
        process.waitForReadyRead(100);
        output += channel == QProcess::StandardOutput ? process.readAllStandardOutput()
                                                      : process.readAllStandardError();
        match = pattern.match(QString::fromUtf8(output));
        if (match.hasMatch() || process.state() == QProcess::NotRunning)
            break;
    }
    return match;
}

// Waits until `pattern` (one capture: the port) appears on the channel; 0 on failure.
quint16 waitForPort(QProcess &process, QProcess::ProcessChannel channel, const QRegularExpression &pattern,
                    QByteArray &output)
{
    const QRegularExpressionMatch match = waitForMatch(process, channel, pattern, output);
    return match.hasMatch() ? quint16(match.captured(1).toUInt()) : 0;
}

QString mappedFiles(qint64 pid)
{
    QFile maps(u"/proc/%1/maps"_s.arg(pid));
    if (!maps.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(maps.readAll());
}

// Ends the process as a user's kill would, and expects a clean exit.
void terminate(QProcess &process)
{
    process.terminate();
    QVERIFY2(process.waitForFinished(15000), "no exit after SIGTERM");
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
}

} // namespace

class TestWindowModule : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        m_binary = qEnvironmentVariable("TOLLGATE_BINARY");
        QVERIFY2(QFileInfo::exists(m_binary), "TOLLGATE_BINARY must name the built tollgate");
        QVERIFY2(QFileInfo::exists(QFileInfo(m_binary).dir().filePath(u"tollgate-window.so"_s)),
                 "the window module must be built next to the binary");
        QVERIFY(m_dir.isValid());
        m_config = m_dir.filePath(u"config.yaml"_s);
        QVERIFY(writeConfig(m_config));
    }

    void headlessMapsNoWindowLibraries()
    {
        QProcess process;
        QByteArray output;
        const quint16 port = startHeadless(process, u"headless.db"_s, output);
        QVERIFY2(port != 0, output.constData());

        const QString maps = mappedFiles(process.processId());
        QVERIFY(maps.contains(u"libQt6Core"_s));  // the maps were read
        for (const QString &library : WindowLibraries)
            QVERIFY2(!maps.contains(library), qPrintable(library + u" is mapped by a headless gateway"_s));
        QVERIFY(!maps.contains(u"tollgate-window"_s));
        QVERIFY2(!maps.contains(u"libcurl"_s), "libcurl is mapped by an idle gateway");

        HttpClient client(port);
        QCOMPARE(client.get("/health/liveliness").status, 200);
        terminate(process);
    }

    // One provider, reached twice: by its address (the plain-http engine) and by the host name
    // localhost (libcurl's). Only the second call maps libcurl, and both are answered.
    void libcurlLoadsWithTheFirstCallThatNeedsIt()
    {
        FakeProvider provider;
        const quint16 providerPort = provider.start();
        QVERIFY(providerPort != 0);
        const QByteArray model = "    litellm_params:\n      model: openai/gpt-4o-mini\n"
                                 "      api_key: sk-provider-not-a-secret\n      api_base: ";
        const QString config = m_dir.filePath(u"curl.yaml"_s);
        {
            QFile file(config);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("model_list:\n  - model_name: by-address\n" + model + provider.baseUrl() + "/v1\n"
                       "  - model_name: by-name\n" + model + "http://localhost:"
                       + QByteArray::number(providerPort) + "/v1\n"
                       "general_settings:\n  master_key: sk-curl-master\n");
        }
        QProcess process;
        QByteArray output;
        const quint16 port = startHeadless(process, u"curl.db"_s, output, config);
        QVERIFY2(port != 0, output.constData());

        HttpClient client(port);
        const auto chat = [&](const QByteArray &modelName) {
            return client.post("/v1/chat/completions",
                               R"({"model": ")" + modelName + R"(", "messages": [{"role": "user", "content": "hi"}]})",
                               {{"Authorization", "Bearer sk-curl-master"}});
        };
        HttpClient::Response byAddress = chat("by-address");
        QVERIFY2(byAddress.status == 200, byAddress.body.constData());
        QVERIFY2(!mappedFiles(process.processId()).contains(u"libcurl"_s), "a plain-http call loaded libcurl");

        HttpClient::Response byName = chat("by-name");
        QVERIFY2(byName.status == 200, byName.body.constData());
        QVERIFY(mappedFiles(process.processId()).contains(u"libcurl"_s));
        byName = chat("by-name");  // the loaded library serves the next call as well
        QVERIFY2(byName.status == 200, byName.body.constData());
        QCOMPARE(provider.requestCount(), 3);
        terminate(process);
    }

    void windowLoadsTheModule()
    {
        QTemporaryDir root;
        QVERIFY(root.isValid());
        QProcess process;
        process.setProcessEnvironment(windowEnvironment(root.path()));
        process.start(m_binary, {u"--config"_s, m_config, u"--port"_s, u"0"_s, u"--db"_s,
                                 m_dir.filePath(u"window.db"_s)});
        QVERIFY(process.waitForStarted(10000));
        // The in-process gateway logs its port on stderr (tollgate.gateway).
        QByteArray output;
        const quint16 port = waitForPort(process, QProcess::StandardError,
                                         QRegularExpression(u"listening on 127\\.0\\.0\\.1 port (\\d+)"_s), output);
        QVERIFY2(port != 0, output.constData());

        const QString maps = mappedFiles(process.processId());
        QVERIFY(maps.contains(u"tollgate-window.so"_s));
        QVERIFY(maps.contains(u"libQt6Widgets"_s));

        HttpClient client(port);
        QCOMPARE(client.get("/health/liveliness").status, 200);
        terminate(process);
    }

    // A copy of the executable alone: the module is not next to it nor in ../lib/tollgate.
    void withoutTheModule()
    {
        QTemporaryDir root;
        QVERIFY(root.isValid());
        const QString lonely = root.filePath(u"bin/tollgate"_s);
        QVERIFY(QDir(root.path()).mkpath(u"bin"_s));
        QVERIFY(QFile::copy(m_binary, lonely));

        const auto run = [&](const QStringList &arguments, QByteArray &out, QByteArray &err) {
            QProcess process;
            process.setProcessEnvironment(windowEnvironment(root.path()));
            process.start(lonely, arguments);
            if (!process.waitForFinished(30000))
                return -1;
            out = process.readAllStandardOutput();
            err = process.readAllStandardError();
            return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        };
        QByteArray out;
        QByteArray err;
        QCOMPARE(run({u"--version"_s}, out, err), 0);
        QVERIFY(out.startsWith("tollgate "));
        QCOMPARE(run({u"--help"_s}, out, err), 0);
        QVERIFY(out.contains("--headless"));
        QCOMPARE(run({u"--check-config"_s, m_config}, out, err), 0);
        QVERIFY2(out.contains(": OK"), out.constData());

        // A window was asked for (a display is set): a clear error, no silent headless run.
        QCOMPARE(run({u"--config"_s, m_config, u"--port"_s, u"0"_s, u"--db"_s, root.filePath(u"x.db"_s)}, out, err), 1);
        QVERIFY2(err.contains("window module tollgate-window.so is not installed"), err.constData());
        QVERIFY2(err.contains(QDir::cleanPath(root.filePath(u"lib/tollgate/tollgate-window.so"_s)).toUtf8()),
                 err.constData());
        QVERIFY(!QFileInfo::exists(root.filePath(u"x.db"_s)));

        // Installed layout: bin/tollgate finds lib/tollgate/tollgate-window.so.
        QVERIFY(QDir(root.path()).mkpath(u"lib/tollgate"_s));
        QVERIFY(QFile::copy(QFileInfo(m_binary).dir().filePath(u"tollgate-window.so"_s),
                            root.filePath(u"lib/tollgate/tollgate-window.so"_s)));
        QProcess process;
        process.setProcessEnvironment(windowEnvironment(root.path()));
        process.start(lonely, {u"--config"_s, m_config, u"--port"_s, u"0"_s, u"--db"_s, root.filePath(u"x.db"_s)});
        QVERIFY(process.waitForStarted(10000));
        QByteArray output;
        const quint16 port = waitForPort(process, QProcess::StandardError,
                                         QRegularExpression(u"listening on 127\\.0\\.0\\.1 port (\\d+)"_s), output);
        QVERIFY2(port != 0, output.constData());
        QVERIFY(mappedFiles(process.processId()).contains(root.filePath(u"lib/tollgate/tollgate-window.so"_s)));
        terminate(process);
    }

    // The window manages a remote gateway (Settings) while config.yaml on this computer is broken:
    // the window still opens, says why the local gateway cannot start, and starts none.
    void remoteGatewayWithABrokenLocalConfig()
    {
        QProcess remote;
        QByteArray remoteOutput;
        const quint16 remotePort = startHeadless(remote, u"remote.db"_s, remoteOutput);
        QVERIFY2(remotePort != 0, remoteOutput.constData());

        QTemporaryDir root;
        QVERIFY(root.isValid());
        const QString broken = root.filePath(u"broken.yaml"_s);
        {
            QFile file(broken);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("model_list: [this is: not, yaml\n");
        }
        const QProcessEnvironment env = windowEnvironment(root.path());
        {
            QSettings settings(env.value(u"XDG_CONFIG_HOME"_s) + u"/Tollgate/tollgate.conf"_s, QSettings::IniFormat);
            settings.setValue(u"connection/gateway"_s, u"remote"_s);
            settings.setValue(u"connection/remoteBaseUrl"_s, u"http://127.0.0.1:%1"_s.arg(remotePort));
            settings.setValue(u"gateway/config"_s, broken);
            settings.sync();
            QCOMPARE(settings.status(), QSettings::NoError);
        }
        QProcess window;
        window.setProcessEnvironment(env);
        window.start(m_binary, {u"--db"_s, root.filePath(u"window.db"_s)});
        QVERIFY(window.waitForStarted(10000));
        QByteArray output;
        const QRegularExpression cannotStart(u"the gateway on this computer cannot start: [^\\n]*broken\\.yaml"_s);
        QVERIFY2(waitForMatch(window, QProcess::StandardError, cannotStart, output).hasMatch(), output.constData());
        QTest::qWait(500);
        output += window.readAllStandardError();
        QCOMPARE(window.state(), QProcess::Running);  // not ended by a "Configuration error"
        QVERIFY2(!output.contains("listening on 127.0.0.1 port"), output.constData());
        terminate(window);
        terminate(remote);
    }

private:
    // A headless gateway with `config` (the test's own when empty) on a free port and database `db`:
    // its port, 0 when it did not start (what it printed is in `output`).
    quint16 startHeadless(QProcess &process, const QString &db, QByteArray &output, const QString &config = {})
    {
        process.start(m_binary, {u"--headless"_s, u"--config"_s, config.isEmpty() ? m_config : config, u"--port"_s,
                                 u"0"_s, u"--db"_s, m_dir.filePath(db)});
        if (!process.waitForStarted(10000))
            return 0;
        return waitForPort(process, QProcess::StandardOutput,
                           QRegularExpression(u"listening on http://127\\.0\\.0\\.1:(\\d+)/v1"_s), output);
    }

    QString m_binary;
    QTemporaryDir m_dir;
    QString m_config;
};

QTEST_GUILESS_MAIN(TestWindowModule)
#include "tst_window_module.moc"
