#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <chrono>
#include <memory>

class QTcpSocket;

namespace Tollgate::Test {

using SteadyTime = std::chrono::steady_clock::time_point;
using RawHeaders = QList<QPair<QByteArray, QByteArray>>;

// A small blocking HTTP/1.1 client for tests: the calling thread waits (no event loop runs),
// so the server under test must live on another thread. One persistent connection, reused
// for the next request and reopened when the server has closed it.
class HttpClient final
{
public:
    struct Chunk
    {
        QByteArray data;          // one decoded chunk of a chunked body
        SteadyTime receivedAt;    // when its last byte was read
    };

    struct Response
    {
        int status = 0;           // 0: no response, see error
        QByteArray reason;
        RawHeaders headers;       // names lower-cased, in order received
        QByteArray body;          // chunked encoding removed
        bool chunked = false;
        QList<Chunk> chunks;      // chunked bodies only
        bool complete = false;    // the whole body was read
        QString error;            // transport problem ("timeout", "connection closed", …)
        SteadyTime sentAt;        // request written
        SteadyTime headAt;        // response head read
        SteadyTime doneAt;        // body finished (or reading stopped)

        // First value of a header (name case-insensitive), empty if absent.
        [[nodiscard]] QByteArray header(const QByteArray &name) const;
        [[nodiscard]] QList<QByteArray> headerValues(const QByteArray &name) const;
        [[nodiscard]] bool hasHeader(const QByteArray &name) const;
        // The body parsed as a JSON object ({} if it is not one).
        [[nodiscard]] QJsonObject json() const;
        // The `data:` payloads of an SSE body, in order ("[DONE]" included).
        [[nodiscard]] QList<QByteArray> sseData() const;
    };

    explicit HttpClient(quint16 port, const QByteArray &host = QByteArrayLiteral("127.0.0.1"));
    ~HttpClient();
    Q_DISABLE_COPY_MOVE(HttpClient)

    // Deadline for one whole exchange (connect, send, read) [15 s].
    void setTimeout(std::chrono::milliseconds timeout);
    // Sent with every request unless the request names the same header [none].
    void setDefaultHeaders(const RawHeaders &headers);

    // `Host` and `Content-Length` are added unless given.
    Response request(const QByteArray &method, const QByteArray &path,
                     const RawHeaders &headers = {}, const QByteArray &body = {});
    Response get(const QByteArray &path, const RawHeaders &headers = {});
    // Adds `Content-Type: application/json` unless given.
    Response post(const QByteArray &path, const QByteArray &body, const RawHeaders &headers = {});
    Response postJson(const QByteArray &path, const QJsonObject &body,
                      const RawHeaders &headers = {});

    // Writes the bytes as they are on the connection and reads one response.
    Response sendRaw(const QByteArray &bytes);
    // Reads one more response on the current connection without sending anything (the
    // second answer to a pipelined sendRaw()). `method` tells whether a body follows.
    Response readResponse(const QByteArray &method = QByteArrayLiteral("GET"));

    // Sends the request, reads the head and `chunks` body chunks (0: none; for a body that
    // is not chunked, the first bytes count as one chunk), then drops the connection.
    Response requestAndAbort(const QByteArray &method, const QByteArray &path,
                             const RawHeaders &headers = {}, const QByteArray &body = {},
                             int chunks = 1);
    // Sends the request, waits `after` without reading, then drops the connection.
    void sendAndDrop(const QByteArray &method, const QByteArray &path,
                     const RawHeaders &headers = {}, const QByteArray &body = {},
                     std::chrono::milliseconds after = std::chrono::milliseconds(0));

    // Whether the server has closed the connection that carried the last response, waiting
    // up to `wait` for it to do so.
    [[nodiscard]] bool serverClosed(std::chrono::milliseconds wait = std::chrono::milliseconds(100));
    void close();
    [[nodiscard]] int connectionsOpened() const { return m_connectionsOpened; }

private:
    using Deadline = std::chrono::steady_clock::time_point;

    QByteArray build(const QByteArray &method, const QByteArray &path, const RawHeaders &headers,
                     const QByteArray &body) const;
    Response exchange(const QByteArray &bytes, const QByteArray &method, int stopAfterChunks);
    bool ensureConnected(Deadline deadline, QString *error);
    bool send(const QByteArray &bytes, Deadline deadline, QString *error);
    bool readMore(Deadline deadline);
    bool parseResponse(Response &response, const QByteArray &method, Deadline deadline,
                       int stopAfterChunks);
    void drop();

    QByteArray m_host;
    quint16 m_port;
    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_buffer;           // read but not yet parsed
    RawHeaders m_defaultHeaders;
    std::chrono::milliseconds m_timeout{15'000};
    int m_connectionsOpened = 0;
    bool m_peerClosed = false;
};

} // namespace Tollgate::Test
