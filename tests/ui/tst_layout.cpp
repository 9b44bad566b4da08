// The window's layout at the sizes people use: every list fills its width with no header cut
// short and no sideways scrolling, and the dialogs show every field whole.
#include "tests/ui/pagehelpers.h"
#include "tests/ui/uifixture.h"
#include "ui/dialogs/enduserdialog.h"
#include "ui/dialogs/keydialog.h"
#include "ui/dialogs/modeldialog.h"
#include "ui/dialogs/userdialog.h"
#include "ui/page.h"
#include "ui/tableview.h"

#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QScrollBar>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace Tollgate;
using namespace Tollgate::Test;

namespace {

// A little of everything, with the longer values real lists have.
void seed(UiFixture &fixture)
{
    GatewayFixture &gateway = fixture.gateway();
    gateway.post("/user/new", QJsonObject{{u"user_id"_s, u"alice@example.com"_s},
                                          {u"user_email"_s, u"alice@example.com"_s},
                                          {u"max_budget"_s, 10.0},
                                          {u"budget_duration"_s, u"monthly"_s},
                                          {u"auto_create_key"_s, false}});
    gateway.post("/model/new", QJsonObject{{u"model_name"_s, u"team-llama"_s},
                                           {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/team-llama-70b"_s}}},
                                           {u"model_info"_s, QJsonObject{{u"access_groups"_s, QJsonArray{u"all-team"_s}}}}});
    // As long as the built-in configuration's names.
    gateway.post("/model/new", QJsonObject{{u"model_name"_s, u"text-embedding-3-small"_s},
                                           {u"litellm_params"_s, QJsonObject{{u"model"_s, u"mock/text-embedding-3-small"_s}}},
                                           {u"model_info"_s, QJsonObject{{u"access_groups"_s, QJsonArray{u"default-models"_s}}}}});
    const QByteArray key = gateway
                               .post("/key/generate", QJsonObject{{u"key_alias"_s, u"alice-laptop"_s},
                                                                  {u"user_id"_s, u"alice@example.com"_s},
                                                                  {u"max_budget"_s, 0.05},
                                                                  {u"budget_duration"_s, u"1d"_s},
                                                                  {u"rpm_limit"_s, 60},
                                                                  {u"tpm_limit"_s, 100000}})
                               .json()
                               .value(u"key"_s)
                               .toString()
                               .toUtf8();
    for (int i = 0; i < 3; ++i)
        fixture.chat(key, u"gpt-a"_s, u"customer-42"_s);
}

// Whether every widget inside `dialog` is at least its minimum size and inside the dialog.
QString cutOff(QWidget *dialog)
{
    for (QWidget *child : dialog->findChildren<QWidget *>()) {
        if (!child->isVisibleTo(dialog) || child->isWindow())
            continue;
        // A combo box's or spin box's own line edit is the box's business.
        if (qobject_cast<QComboBox *>(child->parentWidget()) || qobject_cast<QAbstractSpinBox *>(child->parentWidget()))
            continue;
        const bool field = qobject_cast<QAbstractSpinBox *>(child) || qobject_cast<QComboBox *>(child)
                           || qobject_cast<QLineEdit *>(child) || qobject_cast<QLabel *>(child);
        if (!field)
            continue;
        const QRect inDialog(child->mapTo(dialog, QPoint(0, 0)), child->size());
        if (!dialog->rect().contains(inDialog))
            return u"%1 outside the dialog"_s.arg(child->objectName());
        const QSize least = child->minimumSizeHint();
        if (child->width() < least.width() || child->height() < least.height())
            return u"%1 squeezed: %2x%3 < %4x%5"_s.arg(child->objectName())
                .arg(child->width())
                .arg(child->height())
                .arg(least.width())
                .arg(least.height());
        // A wrapped label is as tall as its text at its width.
        if (auto *label = qobject_cast<QLabel *>(child); label && label->wordWrap()
            && label->height() < label->heightForWidth(label->width()))
            return u"%1 cut: %2 < %3"_s.arg(label->objectName()).arg(label->height()).arg(label->heightForWidth(label->width()));
    }
    return {};
}

} // namespace

class TestLayout : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tablesFillTheirWidth_data();
    void tablesFillTheirWidth();
    void dialogsShowEveryField();
};

void TestLayout::tablesFillTheirWidth_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1400x900") << QSize(1400, 900);
    QTest::newRow("1280x800 (the window's first size)") << QSize(1280, 800);
}

void TestLayout::tablesFillTheirWidth()
{
    QFETCH(QSize, size);
    UiFixture fixture;
    QVERIFY(fixture.start());
    seed(fixture);
    auto window = fixture.createWindow();
    window->resize(size);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window.get()));
    int checked = 0;
    for (Page *page : window->pages()) {
        window->showPage(page);
        QVERIFY2(UiFixture::refreshAndWait(page), qPrintable(page->title()));
        QTest::qWait(20);
        for (TableView *view : page->findChildren<TableView *>()) {
            if (!view->isVisible())
                continue;
            ++checked;
            const QString where = page->title() + u" / "_s + view->objectName();
            QHeaderView *header = view->horizontalHeader();
            // No sideways scrolling, and no empty strip right of the last column.
            QStringList widths;
            for (int c = 0; c < header->count(); ++c)
                widths.append(view->model()->headerData(c, Qt::Horizontal).toString() + u'='
                              + QString::number(header->sectionSize(c)));
            QVERIFY2(!view->horizontalScrollBar()->isVisible(),
                     qPrintable(where + u": "_s + widths.join(u", "_s) + u" in "_s
                                + QString::number(view->viewport()->width())));
            QCOMPARE(header->length(), view->viewport()->width());
            // No header cut short.
            for (int c = 0; c < header->count(); ++c) {
                if (header->isSectionHidden(c))
                    continue;
                QVERIFY2(header->sectionSize(c) >= header->sectionSizeHint(c),
                         qPrintable(u"%1: column %2 (%3) %4 < %5"_s.arg(where)
                                        .arg(c)
                                        .arg(view->model()->headerData(c, Qt::Horizontal).toString())
                                        .arg(header->sectionSize(c))
                                        .arg(header->sectionSizeHint(c))));
            }
        }
    }
    QVERIFY(checked >= 6);   // keys, users, end users, models, access groups, budgets, spend log
}

void TestLayout::dialogsShowEveryField()
{
    KeyRecord key;
    key.token = u"0123"_s;
    key.keyAlias = u"alice-laptop"_s;
    const QList<QDialog *> dialogs{new KeyDialog, new KeyDialog(key), new UserDialog, new EndUserDialog,
                                   new ModelDialog};
    for (QDialog *dialog : dialogs) {
        dialog->show();
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        // The models the gateway offers arrive after the dialog opened.
        const QStringList models{u"gpt-4o"_s, u"gpt-4o-mini"_s, u"o3-mini"_s, u"team-llama"_s};
        const QStringList groups{u"all-team"_s, u"beta"_s};
        if (auto *keys = qobject_cast<KeyDialog *>(dialog))
            keys->setAvailableModels(models, groups);
        if (auto *users = qobject_cast<UserDialog *>(dialog))
            users->setAvailableModels(models, groups);
        // The notes that appear while the dialog is open: a models name the gateway does not
        // have, a soft limit above the max budget.
        if (auto *names = dialog->findChild<QLineEdit *>(u"modelsLineEdit"_s); names && qobject_cast<KeyDialog *>(dialog))
            names->setText(u"gpt-4o, gpt-4o-mni, claude-opus"_s);
        if (auto *soft = dialog->findChild<QDoubleSpinBox *>(u"softBudgetDoubleSpinBox"_s)) {
            for (const QString &name : {u"maxBudgetCheckBox"_s, u"softBudgetCheckBox"_s})
                dialog->findChild<QCheckBox *>(name)->setChecked(true);
            soft->setValue(20);
        }
        QTest::qWait(20);
        const QString problem = cutOff(dialog);
        QVERIFY2(problem.isEmpty(), qPrintable(QString::fromLatin1(dialog->metaObject()->className()) + u": "_s + problem));
        delete dialog;
    }
}

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
