// No secret in any log at any verbosity (issue 13 §4): the real headless binary runs with
// every debug category on (QT_LOGGING_RULES="*.debug=true"), a master key, a virtual key and
// an openai/ deployment whose provider key is a literal in config.yaml; after calls with
// every way of passing a key, neither key appears in what the process printed.
#include "tests/support/fakeprovider.h"
#include "tests/support/httpclient.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using Tollgate::Test::FakeProvider;
using Tollgate::Test::HttpClient;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

const QByteArray MasterKey = QByteArrayLiteral("sk-logging-master-0123456789abcdef");
const QByteArray ProviderKey = QByteArrayLiteral("sk-provider-literal-fedcba9876543210");

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TransportLoggingTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noKeyIsLoggedAtFullDebug();
};

void TransportLoggingTest::noKeyIsLoggedAtFullDebug()
{
    if (qEnvironmentVariableIsEmpty("TOLLGATE_BINARY"))
        QSKIP("TOLLGATE_BINARY is not set (CTest sets it to the built tollgate)");
    FakeProvider fake;
    QVERIFY(fake.start() != 0);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString config = dir.filePath(u"config.yaml"_s);
    QFile file(config);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("model_list:\n"
               "  - model_name: upstream\n"
               "    litellm_params:\n"
               "      model: openai/gpt-4o-mini\n"
               "      api_base: " + fake.baseUrl() + "\n"
               "      api_key: " + ProviderKey + "\n"
               "  - model_name: local\n"
               "    litellm_params:\n"
               "      model: mock/local\n"
               "general_settings:\n"
               "  master_key: " + MasterKey + "\n");
    file.close();

    // Output to files: a pipe nobody reads while the test blocks on HTTP would stall the gateway.
    const QString out = dir.filePath(u"stdout.log"_s);
    const QString err = dir.filePath(u"stderr.log"_s);
    QProcess gateway;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(u"QT_LOGGING_RULES"_s, u"*.debug=true"_s);
    gateway.setProcessEnvironment(environment);
    gateway.setStandardOutputFile(out);
    gateway.setStandardErrorFile(err);
    gateway.start(qEnvironmentVariable("TOLLGATE_BINARY"),
                  {u"--headless"_s, u"--config"_s, config, u"--port"_s, u"0"_s, u"--db"_s, dir.filePath(u"db.sqlite"_s)});
    QVERIFY(gateway.waitForStarted(10000));
    quint16 port = 0;
    const QRegularExpression listening(u"listening on http://127\\.0\\.0\\.1:(\\d+)/v1"_s);
    for (int i = 0; i < 100 && port == 0 && gateway.state() == QProcess::Running; ++i) {
        const auto match = listening.match(QString::fromUtf8(readFile(out) + readFile(err)));
        if (match.hasMatch())
            port = quint16(match.captured(1).toUInt());
        else
            QThread::msleep(100);
    }
    QVERIFY2(port != 0, QByteArray(readFile(out) + readFile(err)).right(2000).constData());

    HttpClient admin(port);
    admin.setDefaultHeaders({{"Authorization", "Bearer " + MasterKey}});
    const auto generated = admin.post("/key/generate", R"({"max_budget": 10})");
    QCOMPARE(generated.status, 200);
    const QByteArray virtualKey = generated.json().value(u"key"_s).toString().toLatin1();
    QVERIFY(virtualKey.startsWith("sk-"));
    QCOMPARE(admin.get("/key/info?key=" + virtualKey).status, 200);

    const auto chat = [](const QByteArray &model, bool stream) {
        return QJsonDocument(QJsonObject{
                                 {u"model"_s, QString::fromLatin1(model)},
                                 {u"stream"_s, stream},
                                 {u"messages"_s, QJsonArray{QJsonObject{{u"role"_s, u"user"_s}, {u"content"_s, u"hi"_s}}}}})
            .toJson(QJsonDocument::Compact);
    };
    const QList<QPair<QByteArray, QByteArray>> ways{{"Authorization", "Bearer "}, {"api-key", ""}, {"x-api-key", ""},
                                                    {"x-litellm-api-key", ""}};
    for (const QByteArray &key : {virtualKey, MasterKey}) {
        for (const auto &[header, prefix] : ways) {
            HttpClient client(port);
            client.setDefaultHeaders({{header, prefix + key}});
            for (const bool stream : {false, true}) {
                const auto upstream = client.post("/v1/chat/completions", chat("upstream", stream));
                QVERIFY2(upstream.status == 200, upstream.body.left(300).constData());
                QCOMPARE(client.post("/v1/chat/completions", chat("local", stream)).status, 200);
            }
        }
    }
    // The provider got its key: it went over the wire, just never into a log.
    QVERIFY(!fake.requests().isEmpty());
    QCOMPARE(fake.requests().constLast().header("authorization"), "Bearer " + ProviderKey);
    // A wrong key is a secret too (a typo of a real one).
    HttpClient wrong(port);
    QCOMPARE(wrong.get("/v1/models", {{"Authorization", "Bearer sk-wrong-but-secret-42"}}).status, 401);

    ::kill(pid_t(gateway.processId()), SIGTERM);
    QVERIFY(gateway.waitForFinished(10000));
    const QByteArray printed = QByteArray(readFile(out) + readFile(err));
    // The rules really were on: Tollgate's and Qt's debug lines are there.
    QVERIFY2(printed.contains("tollgate.") || printed.contains("qt."), printed.left(2000).constData());
    for (const QByteArray &secret : {MasterKey, virtualKey, ProviderKey, QByteArray("sk-wrong-but-secret-42")}) {
        const qsizetype at = printed.indexOf(secret);
        QVERIFY2(at < 0, qPrintable(u"a key was logged: …%1…"_s.arg(QString::fromUtf8(printed.mid(std::max<qsizetype>(0, at - 300), 400)))));
    }
}

QTEST_GUILESS_MAIN(TransportLoggingTest)
#include "tst_transport_logging.moc"
