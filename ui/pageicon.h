#pragma once

#include <QIcon>
#include <QStringList>

class QWidget;

namespace Tollgate {

// A sidebar (and Go menu) icon that means its page. The desktop theme's icon when it has one
// of `themeNames` (freedesktop names, the first found wins); else the bundled monochrome SVG
// `:/tollgate/icons/page-<fallback>.svg`, drawn in `widget`'s text colour — and in the
// highlighted text colour for the selected row — so it reads on light and dark palettes.
[[nodiscard]] QIcon pageIcon(const QStringList &themeNames, const QString &fallback, const QWidget *widget);

} // namespace Tollgate
