#pragma once

class QWidget;

namespace Tollgate {

// A scrolling page must not change a field the pointer happens to pass over: every spin box
// and combo box under `form` takes the mouse wheel only once it has the focus (a click or Tab
// gives it, the wheel does not: Qt::StrongFocus); until then the wheel scrolls the page.
void guardWheel(QWidget *form);

} // namespace Tollgate
