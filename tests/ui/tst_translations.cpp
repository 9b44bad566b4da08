#include "tests/ui/uifixture.h"
#include "ui/page.h"

#include <QFile>
#include <QListWidget>
#include <QTranslator>
#include <QXmlStreamReader>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

// The translation pipeline end to end: translations/tollgate_de.ts is complete, lrelease
// compiled it, and the window speaks German with it installed.
class TestTranslations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theGermanTranslationIsComplete();
    void theWindowSpeaksGermanWithTheTranslationInstalled();
};

void TestTranslations::theGermanTranslationIsComplete()
{
    QFile file(qEnvironmentVariable("TOLLGATE_SOURCE_DIR") + u"/translations/tollgate_de.ts"_s);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    QXmlStreamReader xml(&file);
    int messages = 0;
    QStringList unfinished;
    QString source;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == u"source") {
            source = xml.readElementText();
        } else if (xml.name() == u"translation") {
            ++messages;
            const bool isUnfinished = xml.attributes().value(u"type"_s) == u"unfinished";
            const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements);
            if (isUnfinished || text.trimmed().isEmpty())
                unfinished.append(source);
        }
    }
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY2(messages > 100, qPrintable(QString::number(messages)));
    QVERIFY2(unfinished.isEmpty(), qPrintable(u"untranslated: "_s + unfinished.mid(0, 20).join(u" | "_s)));
}

void TestTranslations::theWindowSpeaksGermanWithTheTranslationInstalled()
{
    QTranslator translator;
    QVERIFY(translator.load(u"tollgate_de"_s, QString::fromUtf8(TOLLGATE_QM_DIR)));
    QVERIFY(QCoreApplication::installTranslator(&translator));

    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *sidebar = window->findChild<QListWidget *>(u"sidebarListWidget"_s);
    QVERIFY(sidebar);
    QCOMPARE(sidebar->item(1)->text(), u"Schlüssel"_s);
    QCOMPARE(sidebar->item(7)->text(), u"Einstellungen"_s);
    QCoreApplication::removeTranslator(&translator);
}

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
