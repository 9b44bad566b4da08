#include "confirm.h"

#include <QMessageBox>
#include <QPushButton>

namespace Tollgate::Confirm {

namespace {
std::optional<bool> automaticAnswer;
int questions = 0;
} // namespace

bool destructive(QWidget *parent, const QString &title, const QString &text, const QString &actionText)
{
    ++questions;
    if (automaticAnswer)
        return *automaticAnswer;
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
    QPushButton *action = box.addButton(actionText, QMessageBox::DestructiveRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == action;
}

void setAutomaticAnswer(std::optional<bool> answer)
{
    automaticAnswer = answer;
}

int asked()
{
    return questions;
}

} // namespace Tollgate::Confirm
