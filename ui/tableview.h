#pragma once

#include <QSortFilterProxyModel>
#include <QTableView>

namespace Tollgate {

// The table every list page uses: whole-row single selection, sortable headers, keyboard
// navigation, a context menu signal, and an empty-state text drawn in the viewport when the
// list has no rows ("No keys yet — press New key to create one").
class TableView final : public QTableView
{
    Q_OBJECT

public:
    explicit TableView(QWidget *parent = nullptr);

    // Wraps `source` in a sort/filter proxy (case-insensitive, filtering every column,
    // sorting by RecordTableModel's SortRole) and shows it.
    QSortFilterProxyModel *setSourceModel(QAbstractItemModel *source);
    [[nodiscard]] QSortFilterProxyModel *proxy() const { return m_proxy; }

    // The column that takes the width left (and gives it back when the window narrows); every
    // other column is as wide as its header and its contents. Call after setSourceModel().
    void setStretchColumn(int column);
    // Columns as wide as their contents while the window has room, which give way (after the
    // stretch column, down to their header's width, their text elided) where it has not, so
    // every column stays in view. Call after setStretchColumn().
    void setShrinkableColumns(const QList<int> &columns);

    void setEmptyText(const QString &text);
    // What the empty table says now: that it waits for the gateway (setWaiting), else the
    // empty text.
    [[nodiscard]] QString emptyText() const;
    // The window switched to another gateway, which has not answered yet: the empty table says
    // so instead of its empty text, until setWaiting(false).
    void setWaiting(bool waiting);
    [[nodiscard]] bool isWaiting() const { return m_waiting; }
    // The source row of the current selection, -1 when none.
    [[nodiscard]] int currentSourceRow() const;
    // Selects the row whose source row is `sourceRow`.
    void selectSourceRow(int sourceRow);

Q_SIGNALS:
    // Right click or the menu key over a row (the row is selected first); `globalPos` for exec().
    void contextMenuRequested(int sourceRow, const QPoint &globalPos);
    // Double click or Enter on a row.
    void rowActivated(int sourceRow);

protected:
    void paintEvent(QPaintEvent *event) override;
    void updateGeometries() override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    QSortFilterProxyModel *m_proxy = nullptr;
    QString m_emptyText;
    bool m_waiting = false;
    int m_stretchColumn = -1;
    QList<int> m_shrinkableColumns;
    bool m_fitting = false;
    void fitStretchColumn();
    void fitShrinkableColumns(int room);
};

} // namespace Tollgate
