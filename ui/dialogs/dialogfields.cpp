#include "dialogfields.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QLineEdit>
#include <QRegularExpression>
#include <QRegularExpressionValidator>

using namespace Qt::StringLiterals;

namespace Tollgate::DialogFields {

namespace {

// <N>s|m|h|d|w|mo or the words (api.md §3); empty = none.
const QRegularExpression &durationPattern()
{
    static const QRegularExpression pattern(u"^(|[1-9][0-9]{0,5}(s|m|h|d|w|mo)|daily|weekly|monthly|yearly)$"_s);
    return pattern;
}

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
    return comboBox->currentText().trimmed();
}

bool isValidDuration(const QString &text)
{
    return durationPattern().match(text.trimmed()).hasMatch();
}

} // namespace Tollgate::DialogFields
