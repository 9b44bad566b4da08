#include "tests/ui/uifixture.h"
#include "ui/page.h"
#include "ui/pages/dashboardpage.h"

#include <QComboBox>
#include <QLabel>

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
    void pluralsAreNumerusFormsInEnglishAndGerman();
    void englishPluralsReadNaturally();
};

namespace {

// source → numerus forms of every numerus message of a .ts file; `plain` gets the sources
// of the other messages.
QHash<QString, QStringList> numerusMessages(const QString &path, QStringList *plain = nullptr)
{
    QHash<QString, QStringList> messages;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return messages;
    QXmlStreamReader xml(&file);
    bool numerus = false;
    QString source;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == u"message") {
            numerus = xml.attributes().value(u"numerus"_s) == u"yes";
        } else if (xml.name() == u"source") {
            source = xml.readElementText();
            if (numerus)
                messages.insert(source, {});
            else if (plain)
                plain->append(source);
        } else if (xml.name() == u"numerusform" && numerus) {
            messages[source].append(xml.readElementText());
        }
    }
    return messages;
}

} // namespace

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
    QCOMPARE(sidebar->item(2)->text(), u"Werkzeug verbinden"_s);
    QCOMPARE(sidebar->item(8)->text(), u"Einstellungen"_s);
    QCoreApplication::removeTranslator(&translator);
}

void TestTranslations::pluralsAreNumerusFormsInEnglishAndGerman()
{
    const QString dir = qEnvironmentVariable("TOLLGATE_SOURCE_DIR") + u"/translations/"_s;
    QStringList plain;
    const auto german = numerusMessages(dir + u"tollgate_de.ts"_s, &plain);
    const auto english = numerusMessages(dir + u"tollgate_en.ts"_s);
    QVERIFY(!german.isEmpty());
    // "(s)" is the plural marker: such a text must go through tr()'s %n form.
    for (const QString &source : std::as_const(plain))
        QVERIFY2(!source.contains(u"(s)"_s), qPrintable(source));
    for (auto it = german.cbegin(); it != german.cend(); ++it) {
        QVERIFY2(it.value().size() == 2 && !it.value().contains(QString()), qPrintable(it.key()));
        const QStringList forms = english.value(it.key());
        QVERIFY2(forms.size() == 2 && !forms.contains(QString()), qPrintable(u"English: "_s + it.key()));
        QVERIFY2(!forms.join(u' ').contains(u"(s)"_s), qPrintable(forms.join(u" | "_s)));
    }
}

void TestTranslations::englishPluralsReadNaturally()
{
    QTranslator translator;
    QVERIFY(translator.load(u"tollgate_en"_s, QString::fromUtf8(TOLLGATE_QM_DIR)));
    QVERIFY(QCoreApplication::installTranslator(&translator));
    QCOMPARE(QCoreApplication::translate("Tollgate::DashboardPage", "Last %n day(s), as in the chart", nullptr, 1),
             u"Last 1 day, as in the chart"_s);
    QCOMPARE(QCoreApplication::translate("Tollgate::DashboardPage", "Last %n day(s), as in the chart", nullptr, 30),
             u"Last 30 days, as in the chart"_s);

    UiFixture fixture;
    QVERIFY(fixture.start());
    auto window = fixture.createWindow();
    auto *page = UiFixture::showPage<DashboardPage>(*window);
    QVERIFY(page);
    auto *granularity = page->findChild<QComboBox *>(u"granularityComboBox"_s);
    QVERIFY(granularity);
    QCOMPARE(granularity->itemText(0), u"Per day, last 30 days"_s);
    QCOMPARE(page->findChild<QLabel *>(u"topWindowLabel"_s)->text(), u"Last 30 days, as in the chart"_s);
    QCoreApplication::removeTranslator(&translator);
}

QTEST_MAIN(TestTranslations)
#include "tst_translations.moc"
