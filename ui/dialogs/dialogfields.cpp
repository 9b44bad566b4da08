#include "dialogfields.h"

#include "../format.h"
#include "models/duration.h"

#include <QComboBox>
#include <QCompleter>
#include <QCoreApplication>
#include <QKeyEvent>
#include <QLineEdit>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QWidget>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace Tollgate {

void LimitSpinBox::stepBy(int steps)
{
    if (value() == minimum() && steps > 0 && minimum() < 0) {
        // From "No limit" up: the first step (1 rpm, 1,000 tpm), not 0, which refuses every call.
        setValue(int(std::min<qint64>(qint64(steps) * singleStep(), maximum())));
        return;
    }
    QSpinBox::stepBy(steps);
}

MoneySpinBox::MoneySpinBox(QWidget *parent) : QDoubleSpinBox(parent)
{
    setPrefix(u"$"_s);
    setDecimals(6);
    setRange(0, 1e9);
    connect(lineEdit(), &QLineEdit::textChanged, this, &MoneySpinBox::inputChanged);
    // A value set or stepped to changes the text with the line edit's signals blocked.
    connect(this, &QDoubleSpinBox::valueChanged, this, &MoneySpinBox::inputChanged);
}

void MoneySpinBox::keyPressEvent(QKeyEvent *event)
{
    // QAbstractSpinBox would interpret the text (an emptied field: back to the previous value)
    // and pass Enter on to the dialog, which would then save a value no longer on screen.
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && !hasAcceptableInput()) {
        event->accept();
        return;
    }
    QDoubleSpinBox::keyPressEvent(event);
}

} // namespace Tollgate

namespace Tollgate::DialogFields {

namespace {

// <N>s|m|h|d|w|mo or the words (api.md §3); empty = none.
const QRegularExpression &durationPattern()
{
    static const QRegularExpression pattern(u"^(|[1-9][0-9]{0,5}(s|m|h|d|w|mo)|daily|weekly|monthly|yearly)$"_s);
    return pattern;
}

// Completes the last name of a comma-separated list, keeping the names before it.
class ListCompleter final : public QCompleter
{
public:
    using QCompleter::QCompleter;

    QStringList splitPath(const QString &path) const override { return {path.section(u',', -1).trimmed()}; }

    QString pathFromIndex(const QModelIndex &index) const override
    {
        const auto *lineEdit = qobject_cast<const QLineEdit *>(widget());
        const QString text = lineEdit ? lineEdit->text() : QString();
        const qsizetype comma = text.lastIndexOf(u',');
        const QString before = comma < 0 ? QString() : text.left(comma + 1) + u' ';
        return before + QCompleter::pathFromIndex(index);
    }
};

} // namespace

QStringList parseModels(const QString &text)
{
    QStringList models;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const QString name = part.trimmed();
        if (!name.isEmpty() && !models.contains(name))
            models.append(name);
    }
    return models;
}

QString joinModels(const QStringList &models)
{
    return models.join(u", "_s);
}

QString availableModelsText(const QStringList &models, const QStringList &accessGroups)
{
    if (models.isEmpty())
        return {};
    if (accessGroups.isEmpty())
        return QCoreApplication::translate("Tollgate::DialogFields", "Models: %1").arg(models.join(u", "_s));
    return QCoreApplication::translate("Tollgate::DialogFields", "Models: %1\nAccess groups: %2")
        .arg(models.join(u", "_s), accessGroups.join(u", "_s));
}

QStringList unknownModels(const QStringList &entries, const QStringList &models, const QStringList &accessGroups)
{
    QStringList unknown;
    for (const QString &entry : entries) {
        if (entry != u"*" && entry != u"all-proxy-models" && !models.contains(entry) && !accessGroups.contains(entry))
            unknown.append(entry);
    }
    return unknown;
}

void setModelsCompleter(QLineEdit *lineEdit, const QStringList &choices)
{
    auto *completer = new ListCompleter(choices, lineEdit);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    lineEdit->setCompleter(completer);
}

void setUpDurationComboBox(QComboBox *comboBox, const QStringList &choices)
{
    comboBox->setEditable(true);
    comboBox->setInsertPolicy(QComboBox::NoInsert);
    comboBox->clear();
    comboBox->addItem(QString());
    comboBox->addItems(choices);
    comboBox->lineEdit()->setValidator(new QRegularExpressionValidator(durationPattern(), comboBox));
}

QString durationText(const QComboBox *comboBox)
{
    const QString text = comboBox->currentText().trimmed();
    // A named choice ("never", "monthly" or its translation) stands for its API token.
    const int index = comboBox->findText(text, Qt::MatchFixedString);
    if (index >= 0 && comboBox->itemData(index).isValid())
        return comboBox->itemData(index).toString();
    return text;
}

void setUpPeriodComboBox(QComboBox *comboBox)
{
    comboBox->setEditable(true);
    comboBox->setInsertPolicy(QComboBox::NoInsert);
    comboBox->clear();
    // One entry per period: "1d" is daily, "7d" weekly (the gateway treats them the same).
    QStringList names;
    for (const QString &token : {u""_s, u"1h"_s, u"daily"_s, u"weekly"_s, u"30d"_s, u"monthly"_s, u"yearly"_s}) {
        comboBox->addItem(Format::period(token), token);
        names.append(QRegularExpression::escape(Format::period(token)));
    }
    // The names (in any case, as findText matches them) or a duration the gateway accepts.
    const QRegularExpression pattern(u"^(|[1-9][0-9]{0,5}(s|m|h|d|w|mo)|daily|weekly|monthly|yearly|%1)$"_s.arg(
                                         names.join(u'|')),
                                     QRegularExpression::CaseInsensitiveOption);
    comboBox->lineEdit()->setValidator(new QRegularExpressionValidator(pattern, comboBox));
}

void setPeriod(QComboBox *comboBox, const QString &duration)
{
    comboBox->setCurrentText(Format::period(duration));
}

bool samePeriod(const QString &a, const QString &b)
{
    if (a.trimmed().isEmpty() || b.trimmed().isEmpty())
        return a.trimmed().isEmpty() == b.trimmed().isEmpty();
    const auto left = Duration::parse(a);
    const auto right = Duration::parse(b);
    return left && right ? *left == *right : a.trimmed() == b.trimmed();
}

bool isValidDuration(const QString &text)
{
    return durationPattern().match(text.trimmed()).hasMatch();
}

bool sameMoney(double a, double b)
{
    return std::llround(a * 1e6) == std::llround(b * 1e6);
}

void fitToContents(QWidget *dialog)
{
    // Not shown yet: show() sizes it to its contents anyway (a resize now would stop that).
    if (!dialog->isVisible())
        return;
    const int width = std::max(dialog->width(), dialog->minimumSizeHint().width());
    int height = dialog->hasHeightForWidth() ? dialog->heightForWidth(width) : dialog->sizeHint().height();
    height = std::max({height, dialog->minimumSizeHint().height(), dialog->height()});
    dialog->resize(width, height);
}

} // namespace Tollgate::DialogFields
