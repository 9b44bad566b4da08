#include "tableview.h"

#include "recordtablemodel.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QPainter>

namespace Tollgate {

TableView::TableView(QWidget *parent) : QTableView(parent)
{
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setAlternatingRowColors(true);
    setSortingEnabled(true);
    setWordWrap(false);
    setContextMenuPolicy(Qt::CustomContextMenu);
    verticalHeader()->hide();
    verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    horizontalHeader()->setHighlightSections(false);

    connect(this, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        const QModelIndex index = indexAt(pos);
        if (index.isValid())
            selectRow(index.row());
        Q_EMIT contextMenuRequested(currentSourceRow(), viewport()->mapToGlobal(pos));
    });
    connect(this, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        if (m_proxy && index.isValid())
            Q_EMIT rowActivated(m_proxy->mapToSource(index).row());
    });
}

QSortFilterProxyModel *TableView::setSourceModel(QAbstractItemModel *source)
{
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(source);
    m_proxy->setSortRole(TableRoles::Sort);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setDynamicSortFilter(true);
    setModel(m_proxy);
    // Sensible first widths: by content, then the user's to change.
    connect(source, &QAbstractItemModel::rowsInserted, this, [this] {
        if (m_proxy->rowCount() <= 50) {
            resizeColumnsToContents();
            // Sizing the last column to its contents ends its stretch: the table stopped short
            // of the view's right edge. Turned off and on, it fills the rest again.
            horizontalHeader()->setStretchLastSection(false);
            horizontalHeader()->setStretchLastSection(true);
        }
    });
    return m_proxy;
}

void TableView::setStretchColumn(int column)
{
    // The table fills its width, no header is cut short, and there is no sideways scrolling
    // while the short columns fit: they size to their contents, one long column flexes. It
    // never gets narrower than its header (QHeaderView::Stretch would squeeze it to nothing
    // in a narrow window): past that, the table scrolls.
    m_stretchColumn = column;
    QHeaderView *header = horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(column, QHeaderView::Interactive);
    // A few hundred rows decide a width: a long spend log stays quick to refresh.
    header->setResizeContentsPrecision(200);
    connect(header, &QHeaderView::sectionResized, this, [this](int logical) {
        if (logical != m_stretchColumn)
            fitStretchColumn();
    });
    fitStretchColumn();
}

void TableView::setShrinkableColumns(const QList<int> &columns)
{
    m_shrinkableColumns = columns;
    for (int column : columns)
        horizontalHeader()->setSectionResizeMode(column, QHeaderView::Interactive);
    fitStretchColumn();
}

void TableView::fitStretchColumn()
{
    QHeaderView *header = horizontalHeader();
    if (m_stretchColumn < 0 || m_fitting || m_stretchColumn >= header->count())
        return;
    m_fitting = true;
    int others = 0;
    for (int c = 0; c < header->count(); ++c) {
        if (c != m_stretchColumn && !m_shrinkableColumns.contains(c) && !header->isSectionHidden(c))
            others += header->sectionSize(c);
    }
    fitShrinkableColumns(viewport()->width() - others - header->sectionSizeHint(m_stretchColumn));
    for (int c : std::as_const(m_shrinkableColumns)) {
        if (c < header->count() && !header->isSectionHidden(c))
            others += header->sectionSize(c);
    }
    const int width = std::max(header->sectionSizeHint(m_stretchColumn), viewport()->width() - others);
    if (header->sectionSize(m_stretchColumn) != width)
        header->resizeSection(m_stretchColumn, width);
    m_fitting = false;
}

void TableView::fitShrinkableColumns(int room)
{
    // Each as wide as its contents, unless together they need more than `room`: then the
    // widest give way first (all narrowed to one width, none below its header).
    QHeaderView *header = horizontalHeader();
    struct Column
    {
        int column;
        int least;    // its header
        int wanted;   // its contents and header
        [[nodiscard]] int width(int cap) const { return std::max(least, std::min(wanted, cap)); }
    };
    QList<Column> columns;
    for (int c : std::as_const(m_shrinkableColumns)) {
        if (c < header->count() && !header->isSectionHidden(c)) {
            const int least = header->sectionSizeHint(c);
            columns.append({c, least, std::max(least, sizeHintForColumn(c))});
        }
    }
    const auto total = [&columns](int cap) {
        int sum = 0;
        for (const Column &column : std::as_const(columns))
            sum += column.width(cap);
        return sum;
    };
    int cap = 0;
    for (const Column &column : std::as_const(columns))
        cap = std::max(cap, column.wanted);
    while (cap > 0 && total(cap) > room)
        --cap;
    for (const Column &column : std::as_const(columns)) {
        if (header->sectionSize(column.column) != column.width(cap))
            header->resizeSection(column.column, column.width(cap));
    }
}

void TableView::updateGeometries()
{
    QTableView::updateGeometries();
    // The viewport changed (a resize, the vertical scroll bar came or went).
    fitStretchColumn();
}

void TableView::setEmptyText(const QString &text)
{
    m_emptyText = text;
    viewport()->update();
}

QString TableView::emptyText() const
{
    return m_waiting ? tr("Waiting for the gateway to answer…") : m_emptyText;
}

void TableView::setWaiting(bool waiting)
{
    m_waiting = waiting;
    viewport()->update();
}

int TableView::currentSourceRow() const
{
    if (!m_proxy)
        return -1;
    const QModelIndexList rows = selectionModel() ? selectionModel()->selectedRows() : QModelIndexList();
    if (rows.isEmpty())
        return -1;
    return m_proxy->mapToSource(rows.first()).row();
}

void TableView::selectSourceRow(int sourceRow)
{
    if (!m_proxy || sourceRow < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_proxy->sourceModel()->index(sourceRow, 0));
    if (index.isValid()) {
        selectRow(index.row());
        scrollTo(index);
    }
}

void TableView::paintEvent(QPaintEvent *event)
{
    QTableView::paintEvent(event);
    const QString text = emptyText();
    if (!model() || model()->rowCount() > 0 || text.isEmpty())
        return;
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::Disabled, QPalette::Text));
    const QRect area = viewport()->rect().adjusted(24, 24, -24, -24);
    painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, text);
}

void TableView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Menu) {
        const QModelIndex index = currentIndex();
        const QRect rect = index.isValid() ? visualRect(index) : QRect();
        Q_EMIT contextMenuRequested(currentSourceRow(), viewport()->mapToGlobal(rect.center()));
        event->accept();
        return;
    }
    QTableView::keyPressEvent(event);
}

} // namespace Tollgate
