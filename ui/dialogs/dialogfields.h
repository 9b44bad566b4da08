#pragma once

#include <QString>
#include <QStringList>

class QComboBox;

namespace Tollgate::DialogFields {

// Helpers shared by the key, user and end-user dialogs.

// "gpt-a, beta" → ["gpt-a", "beta"]; blanks and repeats dropped. Empty = every model.
QStringList parseModels(const QString &text);
QString joinModels(const QStringList &models);
// The hint under a models field: what may be named there.
QString availableModelsText(const QStringList &models, const QStringList &accessGroups);

// An editable duration combo box ("30d", "monthly", …; empty allowed) with the common
// choices and a validator for what the gateway accepts (api.md §3).
void setUpDurationComboBox(QComboBox *comboBox, const QStringList &choices);
// The entered duration, trimmed ("" = none).
QString durationText(const QComboBox *comboBox);
bool isValidDuration(const QString &text);

} // namespace Tollgate::DialogFields
