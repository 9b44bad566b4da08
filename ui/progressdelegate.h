#pragma once

#include <QColor>
#include <QPalette>
#include <QStyledItemDelegate>

namespace Tollgate {

// Paints a cell as the style's progress bar (QStyleOptionProgressBar through the widget's
// style, so it follows the platform and the palette) when the model gives a fraction
// under FractionRole; other cells paint as usual. The bar's text is the cell's display text.
class ProgressDelegate final : public QStyledItemDelegate
{
    Q_OBJECT

public:
    // 0..1 (more than 1 = over budget: the bar is full); invalid = no bar.
    static constexpr int FractionRole = Qt::UserRole + 10;
    // The bar's colour: a Level (int); invalid = Normal.
    static constexpr int LevelRole = Qt::UserRole + 11;
    enum Level { Normal, Warning, Critical };

    // The colour a bar of `level` is filled with: the palette's highlight, amber, red.
    static QColor barColor(Level level, const QPalette &palette);

    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    [[nodiscard]] QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace Tollgate
