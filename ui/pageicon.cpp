#include "pageicon.h"

#include <QPainter>
#include <QPalette>
#include <QWidget>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// The SVG's shapes (one colour, any) filled with `colour`, at `size` device pixels.
QPixmap tinted(const QIcon &svg, int size, const QColor &colour)
{
    QImage image = svg.pixmap(size, size).toImage().convertToFormat(QImage::Format_ARGB32_Premultiplied);
    QPainter painter(&image);
    painter.setCompositionMode(QPainter::CompositionMode_SourceIn);
    painter.fillRect(image.rect(), colour);
    painter.end();
    return QPixmap::fromImage(image);
}

} // namespace

QIcon pageIcon(const QStringList &themeNames, const QString &fallback, const QWidget *widget)
{
    for (const QString &name : themeNames) {
        if (QIcon::hasThemeIcon(name))
            return QIcon::fromTheme(name);
    }
    const QIcon svg(u":/tollgate/icons/page-%1.svg"_s.arg(fallback));
    const QPalette palette = widget ? widget->palette() : QPalette();
    QIcon icon;
    // The sizes a sidebar, a menu and a high-DPI screen ask for.
    for (const int size : {16, 20, 24, 32, 40, 48, 64}) {
        icon.addPixmap(tinted(svg, size, palette.color(QPalette::Active, QPalette::WindowText)), QIcon::Normal);
        icon.addPixmap(tinted(svg, size, palette.color(QPalette::Active, QPalette::HighlightedText)), QIcon::Selected);
        icon.addPixmap(tinted(svg, size, palette.color(QPalette::Disabled, QPalette::WindowText)), QIcon::Disabled);
    }
    return icon;
}

} // namespace Tollgate
