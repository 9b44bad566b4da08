#pragma once

#include <QString>

#include <optional>

class QWidget;

namespace Tollgate::Confirm {

// Asks before a destructive action (delete, regenerate, block): a question box whose
// default button is Cancel. Returns true when the user confirmed.
bool destructive(QWidget *parent, const QString &title, const QString &text, const QString &actionText);

// Tests answer without a dialog: set an answer (true = confirm) and every destructive()
// returns it until reset with std::nullopt; `asked()` counts the questions.
void setAutomaticAnswer(std::optional<bool> answer);
int asked();

} // namespace Tollgate::Confirm
