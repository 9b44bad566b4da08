#include "progressdelegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionProgressBar>

#include <algorithm>
#include <cmath>

namespace Tollgate {

namespace {
// The bar's resolution: a tenth of a percent.
constexpr int Steps = 1000;
} // namespace

QColor ProgressDelegate::barColor(Level level, const QPalette &palette)
{
    // Amber and red that read on light and dark palettes alike (Breeze's warning/negative).
    switch (level) {
    case Warning: return QColor(0xf6, 0x74, 0x00);
    case Critical: return QColor(0xda, 0x44, 0x53);
    case Normal: break;
    }
    return palette.color(QPalette::Highlight);
}

void ProgressDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QVariant fraction = index.data(FractionRole);
    if (!fraction.isValid()) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    // The selection background first, so a selected row stays one band.
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    QStyleOptionProgressBar bar;
    bar.initFrom(widget);
    // Qt 6 reads the orientation from the state: without the flag the bar is vertical.
    bar.state = option.state | QStyle::State_Horizontal;
    bar.direction = option.direction;
    bar.rect = option.rect.adjusted(2, 2, -2, -2);
    bar.fontMetrics = option.fontMetrics;
    bar.palette = option.palette;
    const auto level = Level(index.data(LevelRole).toInt());
    if (level != Normal) {
        // Styles fill the bar with the highlight colour (Fusion, Breeze, Windows).
        bar.palette.setColor(QPalette::Highlight, barColor(level, option.palette));
        bar.palette.setColor(QPalette::HighlightedText, Qt::white);
    }
    bar.minimum = 0;
    bar.maximum = Steps;
    bar.progress = int(std::lround(std::clamp(fraction.toDouble(), 0.0, 1.0) * Steps));
    bar.text = index.data(Qt::DisplayRole).toString();
    bar.textVisible = true;
    bar.textAlignment = Qt::AlignCenter;
    style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
}

QSize ProgressDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    if (index.data(FractionRole).isValid())
        size.setWidth(std::max(size.width(), option.fontMetrics.horizontalAdvance(QLatin1Char('0')) * 16));
    return size;
}

} // namespace Tollgate
