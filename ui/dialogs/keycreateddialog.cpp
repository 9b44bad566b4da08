#include "keycreateddialog.h"

#include "ui_keycreateddialog.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QPushButton>

using namespace Qt::StringLiterals;

namespace Tollgate {

KeyCreatedDialog::KeyCreatedDialog(const QString &rawKey, const QString &keyName, Reason reason, QWidget *parent)
    : QDialog(parent), m_ui(std::make_unique<Ui::KeyCreatedDialog>())
{
    m_ui->setupUi(this);
    setAttribute(Qt::WA_DeleteOnClose);
    if (reason == Reason::Regenerated) {
        setWindowTitle(tr("Key regenerated"));
        m_ui->headingLabel->setText(
            tr("The new key for “%1”. The old key no longer works: give this one to whoever used it.").arg(keyName));
    } else {
        m_ui->headingLabel->setText(tr("The key “%1”:").arg(keyName));
    }
    m_ui->keyLineEdit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_ui->keyLineEdit->setText(rawKey);
    m_ui->keyLineEdit->setMinimumWidth(m_ui->keyLineEdit->fontMetrics().horizontalAdvance(rawKey) + 24);
    connect(m_ui->copyPushButton, &QPushButton::clicked, this, &KeyCreatedDialog::copyToClipboard);
    m_connectButton = m_ui->buttonBox->addButton(tr("Connect a tool…"), QDialogButtonBox::ActionRole);
    m_connectButton->setObjectName(u"connectToolPushButton"_s);
    m_connectButton->setToolTip(tr("Open a ready set-up for Claude Code, Codex, Cursor and others, with this key "
                                   "filled in"));
    m_connectButton->setAutoDefault(false);
    m_connectButton->hide();
    connect(m_connectButton, &QPushButton::clicked, this, &KeyCreatedDialog::connectTool);
    m_ui->copyPushButton->setFocus();
}

KeyCreatedDialog::~KeyCreatedDialog() = default;

QString KeyCreatedDialog::key() const
{
    return m_ui->keyLineEdit->text();
}

void KeyCreatedDialog::setConnectToolOffered(bool offered)
{
    m_connectButton->setVisible(offered);
}

void KeyCreatedDialog::connectTool()
{
    // The key leaves with the signal, before done() clears it.
    Q_EMIT connectToolRequested(m_ui->keyLineEdit->text());
    accept();
}

void KeyCreatedDialog::copyToClipboard()
{
    QApplication::clipboard()->setText(m_ui->keyLineEdit->text());
    m_ui->copyPushButton->setText(tr("Copied"));
}

void KeyCreatedDialog::done(int result)
{
    // Shown once: the text goes with the dialog.
    m_ui->keyLineEdit->clear();
    QDialog::done(result);
}

} // namespace Tollgate
