#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QTcpSocket>

namespace Tollgate::Test {

// One request on its own connection, answered asynchronously on the test thread's event
// loop: for tests that need many calls in flight at once.
class AsyncCall
{
public:
    AsyncCall(quint16 port, const QByteArray &body, const QList<QPair<QByteArray, QByteArray>> &headers = {},
              const QByteArray &path = QByteArrayLiteral("/v1/chat/completions"))
    {
        QObject::connect(&m_socket, &QTcpSocket::readyRead, [this] { m_data += m_socket.readAll(); });
        QObject::connect(&m_socket, &QTcpSocket::disconnected, [this] {
            m_data += m_socket.readAll();
            m_done = true;
        });
        QObject::connect(&m_socket, &QTcpSocket::errorOccurred, [this](QAbstractSocket::SocketError error) {
            if (error != QAbstractSocket::RemoteHostClosedError)
                m_done = true;
        });
        QByteArray request = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                             "Content-Type: application/json\r\nContent-Length: "
                             + QByteArray::number(body.size()) + "\r\n";
        for (const auto &[name, value] : headers)
            request += name + ": " + value + "\r\n";
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        m_socket.write(request + "\r\n" + body);
    }
    Q_DISABLE_COPY_MOVE(AsyncCall)

    [[nodiscard]] bool done() const { return m_done; }
    [[nodiscard]] int status() const
    {
        const QList<QByteArray> parts = m_data.left(m_data.indexOf('\n')).split(' ');
        return parts.size() > 1 ? parts.at(1).toInt() : 0;
    }
    [[nodiscard]] QByteArray body() const { return m_data.mid(m_data.indexOf("\r\n\r\n") + 4); }
    // The first header `name` (lower case) carries, empty when none.
    [[nodiscard]] QByteArray header(const QByteArray &name) const
    {
        const QList<QByteArray> lines = m_data.left(m_data.indexOf("\r\n\r\n")).split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon > 0 && lines.at(i).left(colon).trimmed().toLower() == name)
                return lines.at(i).mid(colon + 1).trimmed();
        }
        return {};
    }

private:
    QTcpSocket m_socket;
    QByteArray m_data;
    bool m_done = false;
};

} // namespace Tollgate::Test
