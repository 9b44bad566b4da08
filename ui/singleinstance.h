#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

namespace Tollgate {

// One window per user: the first start listens on a local socket; a second start finds it,
// asks it to raise its window, and exits.
class SingleInstance final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SingleInstance)

public:
    // `name`: the socket's name; defaults to one per user: $XDG_RUNTIME_DIR/tollgate-window, or
    // "tollgate-<uid>" (in the temporary directory) without a runtime directory.
    explicit SingleInstance(QString name = {}, QObject *parent = nullptr);
    ~SingleInstance() override;

    // True when another instance answered (it was asked to raise its window): this one
    // should exit. False when this is the first: it now listens.
    bool notifyRunningInstance(int timeoutMs = 1000);
    [[nodiscard]] bool isListening() const;
    [[nodiscard]] QString name() const { return m_name; }

Q_SIGNALS:
    // A second start asked this instance to show itself.
    void raiseRequested();

private:
    bool listen();

    QString m_name;
    QLocalServer *m_server = nullptr;
};

} // namespace Tollgate
