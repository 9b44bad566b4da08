#pragma once

#include "../apitypes.h"
#include "../page.h"
#include "../toolsetup.h"

#include <QHash>
#include <QList>

class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace Tollgate {

// Connect a tool: pick a key (or make one), a model it may use and a tool, and copy a ready
// set-up with the gateway's base URL. The API returns a raw key only when it is created, so
// only a key made here (or handed over by the key-created dialog) is filled in; for any other
// key the set-up holds "sk-…" and says to paste the key saved at creation.
class ConnectPage final : public Page
{
    Q_OBJECT

public:
    // `baseUrl`: the gateway's root (http://127.0.0.1:4000), as the header shows it.
    ConnectPage(ApiClient *api, const QString &baseUrl, QWidget *parent = nullptr);
    // The gateway moved (it started after the keychain answered, or restarted on another port).
    void setBaseUrl(const QString &baseUrl);

    [[nodiscard]] QString title() const override { return tr("Connect a tool"); }
    [[nodiscard]] QIcon icon() const override;

    [[nodiscard]] QComboBox *keyComboBox() const { return m_keyCombo; }
    [[nodiscard]] QComboBox *modelComboBox() const { return m_modelCombo; }
    [[nodiscard]] QListWidget *toolListWidget() const { return m_toolList; }
    [[nodiscard]] QPlainTextEdit *setupTextEdit() const { return m_setupText; }
    [[nodiscard]] QString setupText() const;
    [[nodiscard]] ToolSetup::Tool currentTool() const;
    void setCurrentTool(ToolSetup::Tool tool);
    // The token of the chosen key ("" when none).
    [[nodiscard]] QString currentKeyToken() const;

public Q_SLOTS:
    // A key just created (its raw key known this once): listed, chosen and filled in.
    void useNewKey(const Tollgate::KeyRecord &key, const QString &rawKey);
    // Opens the new-key dialog; the key it makes is used at once.
    void newKey();
    void copySetup();

protected:
    void doRefresh() override;
    void clearData() override;

private:
    void setKeys(const QList<KeyRecord> &keys);
    void setModels(const QList<ModelRecord> &models);
    void updateModels();
    void updateSetup();
    [[nodiscard]] const KeyRecord *currentKey() const;

    QString m_baseUrl;
    QList<KeyRecord> m_keys;
    QList<ModelRecord> m_models;
    QHash<QString, QStringList> m_userModels;   // user id → the user's models (bounds its keys)
    QHash<QString, BudgetInfo> m_userBudgets;   // user id → the user's budget (refuses its keys when used up)
    // The one key whose raw value this page knows: the last one created while it was open.
    QString m_newKeyToken;
    QString m_newKeyRaw;
    bool m_modelChosen = false;      // the user picked a model: tool changes keep it

    QComboBox *m_keyCombo;
    QPushButton *m_newKeyButton;
    QLabel *m_keyNoteLabel;
    QComboBox *m_modelCombo;
    QLabel *m_modelNoteLabel;
    QListWidget *m_toolList;
    QLabel *m_toolTitleLabel;
    QPlainTextEdit *m_setupText;
    QLabel *m_toolNoteLabel;
    QPushButton *m_copyButton;
};

} // namespace Tollgate
