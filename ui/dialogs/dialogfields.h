#pragma once

#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QString>
#include <QStringList>

class QComboBox;
class QLineEdit;
class QWidget;

namespace Tollgate {

// A limit (rpm, tpm, parallel requests) whose minimum -1 is "No limit" (special value text):
// stepping up from "No limit" goes to the first step, never to 0 — a limit of 0 refuses
// every call, so it is only ever typed.
class LimitSpinBox final : public QSpinBox
{
    Q_OBJECT

public:
    using QSpinBox::QSpinBox;
    void stepBy(int steps) override;
};

// A dollar amount, by default a budget's: $0 to $1,000,000,000 in millionths, as the key, user,
// end-user and global budgets take it. What it shows is what it holds: Enter on a text that is
// no amount (an emptied field) is refused, where a QDoubleSpinBox would put its previous value
// back and let the dialog accept that behind the user's back; dialogs also keep OK disabled
// while hasAcceptableInput() is false.
class MoneySpinBox final : public QDoubleSpinBox
{
    Q_OBJECT

public:
    explicit MoneySpinBox(QWidget *parent = nullptr);

Q_SIGNALS:
    // The text changed, an amount or not (textChanged() waits for an amount), or the value
    // (set, stepped): for OK buttons that follow hasAcceptableInput().
    void inputChanged();

protected:
    void keyPressEvent(QKeyEvent *event) override;
};

} // namespace Tollgate

namespace Tollgate::DialogFields {

// Helpers shared by the key, user and end-user dialogs.

// "gpt-a, beta" → ["gpt-a", "beta"]; blanks and repeats dropped. Empty = every model.
QStringList parseModels(const QString &text);
QString joinModels(const QStringList &models);
// The hint under a models field: what may be named there.
QString availableModelsText(const QStringList &models, const QStringList &accessGroups);
// The entries of a models field that are neither one of `models` nor one of `accessGroups`:
// the gateway matches them exactly, so a typo allows nothing. "*" and "all-proxy-models" stand
// for every model (as the gateway reads them); a pattern such as "openai/*" does not.
QStringList unknownModels(const QStringList &entries, const QStringList &models, const QStringList &accessGroups);
// Offers `choices` for the name being typed in a comma-separated models field (the last one).
void setModelsCompleter(QLineEdit *lineEdit, const QStringList &choices);

// An editable duration combo box ("30d", "monthly", …; empty allowed) with the common
// choices and a validator for what the gateway accepts (api.md §3).
void setUpDurationComboBox(QComboBox *comboBox, const QStringList &choices);
// The entered duration, trimmed ("" = none).
// The entered duration as the API takes it: the token behind a named choice ("monthly",
// "" for "never"), else what was typed, trimmed ("" = none).
QString durationText(const QComboBox *comboBox);
// A budget's reset period: "never", daily, weekly, monthly, yearly by name (translated,
// the API's word behind each), a few common others ("1h", "30d"), and any duration typed.
void setUpPeriodComboBox(QComboBox *comboBox);
// Shows `duration` (an API value, canonical "1mo" or a word; "" = never) by its name.
void setPeriod(QComboBox *comboBox, const QString &duration);
// Whether two durations are the same period ("monthly" = "1mo"; "" = "").
bool samePeriod(const QString &a, const QString &b);
bool isValidDuration(const QString &text);
// Whether two amounts are the same to a MoneySpinBox's millionth (what it can show).
bool sameMoney(double a, double b);

// A dialog whose contents grew after it opened (the list of models arrived): as tall as
// its contents need at its width, so nothing under a wrapped label is squeezed. Unlike
// adjustSize(), not limited to two thirds of the screen, and never narrower or shorter.
void fitToContents(QWidget *dialog);

} // namespace Tollgate::DialogFields
