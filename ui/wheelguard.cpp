#include "wheelguard.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QEvent>
#include <QObject>
#include <QWidget>

namespace Tollgate {

namespace {

class WheelGuard final : public QObject
{
public:
    using QObject::QObject;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Wheel) {
            const auto *field = qobject_cast<QWidget *>(watched);
            if (field && !field->hasFocus()) {
                // Not handled here: QApplication passes an ignored wheel event on to the
                // parents, up to the scroll area.
                event->ignore();
                return true;
            }
        }
        return QObject::eventFilter(watched, event);
    }
};

void guard(QWidget *field, QObject *filter)
{
    field->setFocusPolicy(Qt::StrongFocus);
    field->installEventFilter(filter);
}

} // namespace

void guardWheel(QWidget *form)
{
    auto *filter = new WheelGuard(form);
    for (QAbstractSpinBox *spinBox : form->findChildren<QAbstractSpinBox *>())
        guard(spinBox, filter);
    for (QComboBox *comboBox : form->findChildren<QComboBox *>())
        guard(comboBox, filter);
}

} // namespace Tollgate
