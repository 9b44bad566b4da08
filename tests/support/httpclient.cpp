#include "httpclient.h"

#include <QJsonDocument>
#include <QTcpSocket>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace Tollgate::Test {

namespace {

int remainingMs(std::chrono::steady_clock::time_point deadline)
{
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<qint64>(0, left.count()));
}

bool hasHeaderIn(const RawHeaders &headers, const QByteArray &name)
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

} // namespace

QByteArray HttpClient::Response::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QList<QByteArray> HttpClient::Response::headerValues(const QByteArray &name) const
{
    QList<QByteArray> values;
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            values.append(value);
    }
    return values;
}

bool HttpClient::Response::hasHeader(const QByteArray &name) const
{
    return hasHeaderIn(headers, name);
}

QJsonObject HttpClient::Response::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QList<QByteArray> HttpClient::Response::sseData() const
{
    QList<QByteArray> events;
    QByteArray normalized = body;
    normalized.replace("\r\n", "\n");
    for (const QByteArray &block : normalized.split('\n')) {
        if (block.startsWith("data:"))
            events.append(block.mid(5).trimmed());
    }
    return events;
}

HttpClient::HttpClient(quint16 port, const QByteArray &host) : m_host(host), m_port(port) {}

HttpClient::~HttpClient() = default;

void HttpClient::setTimeout(std::chrono::milliseconds timeout)
{
    m_timeout = timeout;
}

void HttpClient::setDefaultHeaders(const RawHeaders &headers)
{
    m_defaultHeaders = headers;
}

QByteArray HttpClient::build(const QByteArray &method, const QByteArray &path,
                             const RawHeaders &headers, const QByteArray &body) const
{
    QByteArray out = method + ' ' + path + " HTTP/1.1\r\n";
    if (!hasHeaderIn(headers, "host"))
        out += "Host: " + m_host + ':' + QByteArray::number(m_port) + "\r\n";
    for (const auto &[name, value] : m_defaultHeaders) {
        if (!hasHeaderIn(headers, name))
            out += name + ": " + value + "\r\n";
    }
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    const bool bodyMethod = method == "POST" || method == "PUT" || method == "PATCH";
    if (!hasHeaderIn(headers, "content-length") && !hasHeaderIn(headers, "transfer-encoding")
        && (bodyMethod || !body.isEmpty()))
        out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

HttpClient::Response HttpClient::request(const QByteArray &method, const QByteArray &path,
                                         const RawHeaders &headers, const QByteArray &body)
{
    return exchange(build(method, path, headers, body), method, -1);
}

HttpClient::Response HttpClient::get(const QByteArray &path, const RawHeaders &headers)
{
    return request(QByteArrayLiteral("GET"), path, headers);
}

HttpClient::Response HttpClient::post(const QByteArray &path, const QByteArray &body,
                                      const RawHeaders &headers)
{
    RawHeaders all = headers;
    if (!hasHeaderIn(all, "content-type"))
        all.append({QByteArrayLiteral("Content-Type"), QByteArrayLiteral("application/json")});
    return request(QByteArrayLiteral("POST"), path, all, body);
}

HttpClient::Response HttpClient::postJson(const QByteArray &path, const QJsonObject &body,
                                          const RawHeaders &headers)
{
    return post(path, QJsonDocument(body).toJson(QJsonDocument::Compact), headers);
}

HttpClient::Response HttpClient::sendRaw(const QByteArray &bytes)
{
    // The method only matters for HEAD (no body follows); take it from the request line.
    const QByteArray method = bytes.left(bytes.indexOf(' '));
    return exchange(bytes, method, -1);
}

HttpClient::Response HttpClient::readResponse(const QByteArray &method)
{
    Response response;
    if (!m_socket) {
        response.error = u"not connected"_s;
        return response;
    }
    parseResponse(response, method, std::chrono::steady_clock::now() + m_timeout, -1);
    return response;
}

HttpClient::Response HttpClient::requestAndAbort(const QByteArray &method, const QByteArray &path,
                                                 const RawHeaders &headers,
                                                 const QByteArray &body, int chunks)
{
    Response response = exchange(build(method, path, headers, body), method, std::max(0, chunks));
    drop();
    return response;
}

void HttpClient::sendAndDrop(const QByteArray &method, const QByteArray &path,
                             const RawHeaders &headers, const QByteArray &body,
                             std::chrono::milliseconds after)
{
    const Deadline deadline = std::chrono::steady_clock::now() + m_timeout;
    QString error;
    if (ensureConnected(deadline, &error) && send(build(method, path, headers, body), deadline, &error)
        && after > 0ms)
        QThread::msleep(static_cast<unsigned long>(after.count()));
    drop();
}

bool HttpClient::serverClosed(std::chrono::milliseconds wait)
{
    if (m_peerClosed)
        return true;
    if (!m_socket)
        return false;
    const Deadline deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        if (m_socket->state() != QAbstractSocket::ConnectedState) {
            m_peerClosed = true;
            return true;
        }
        // waitForReadyRead also notices the peer's FIN (it returns false and the state drops).
        if (m_socket->waitForReadyRead(remainingMs(deadline)))
            m_buffer += m_socket->readAll();
        else if (m_socket->state() == QAbstractSocket::ConnectedState)
            return false;
        if (std::chrono::steady_clock::now() >= deadline)
            return m_socket->state() != QAbstractSocket::ConnectedState;
    }
}

void HttpClient::close()
{
    drop();
}

void HttpClient::drop()
{
    if (m_socket) {
        m_socket->abort();
        m_socket.reset();
    }
    m_buffer.clear();
}

bool HttpClient::ensureConnected(Deadline deadline, QString *error)
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        // Notice a close the server sent while the connection sat idle.
        if (m_socket->bytesAvailable() == 0)
            m_socket->waitForReadyRead(0);
        if (m_socket->state() == QAbstractSocket::ConnectedState && !m_peerClosed) {
            m_socket->readAll();  // anything unsolicited belongs to no request
            m_buffer.clear();
            return true;
        }
    }
    drop();
    m_peerClosed = false;
    m_socket = std::make_unique<QTcpSocket>();
    m_socket->connectToHost(QString::fromLatin1(m_host), m_port);
    if (!m_socket->waitForConnected(remainingMs(deadline))) {
        *error = u"connect failed: "_s + m_socket->errorString();
        drop();
        return false;
    }
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    ++m_connectionsOpened;
    return true;
}

bool HttpClient::send(const QByteArray &bytes, Deadline deadline, QString *error)
{
    m_socket->write(bytes);
    while (m_socket->bytesToWrite() > 0) {
        if (!m_socket->waitForBytesWritten(remainingMs(deadline))) {
            *error = u"write failed: "_s + m_socket->errorString();
            return false;
        }
    }
    return true;
}

bool HttpClient::readMore(Deadline deadline)
{
    if (m_socket->bytesAvailable() == 0 && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->waitForReadyRead(remainingMs(deadline));
    const QByteArray bytes = m_socket->readAll();
    m_buffer += bytes;
    if (bytes.isEmpty() && m_socket->state() != QAbstractSocket::ConnectedState)
        m_peerClosed = true;
    return !bytes.isEmpty();
}

HttpClient::Response HttpClient::exchange(const QByteArray &bytes, const QByteArray &method,
                                          int stopAfterChunks)
{
    const Deadline deadline = std::chrono::steady_clock::now() + m_timeout;
    Response response;
    // A reused keep-alive connection may have been closed by the server just as we send:
    // try once more on a fresh connection if nothing at all came back.
    for (int attempt = 0; attempt < 2; ++attempt) {
        response = Response{};
        const bool reused = m_socket && m_socket->state() == QAbstractSocket::ConnectedState;
        if (!ensureConnected(deadline, &response.error))
            return response;
        response.sentAt = std::chrono::steady_clock::now();
        if (!send(bytes, deadline, &response.error)) {
            if (reused)
                continue;
            return response;
        }
        const qsizetype before = m_buffer.size();
        if (parseResponse(response, method, deadline, stopAfterChunks))
            return response;
        const bool nothingCame = response.status == 0 && m_buffer.size() == before
                                 && response.error == u"connection closed"_s;
        if (!(reused && nothingCame))
            return response;
    }
    return response;
}

bool HttpClient::parseResponse(Response &response, const QByteArray &method, Deadline deadline,
                               int stopAfterChunks)
{
    auto fail = [&](const QString &error) {
        response.error = error;
        response.doneAt = std::chrono::steady_clock::now();
        return false;
    };
    auto need = [&](qsizetype bytes) {
        while (m_buffer.size() < bytes) {
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            if (!readMore(deadline) && m_peerClosed)
                return false;
        }
        return true;
    };
    auto needLine = [&](qsizetype from, qsizetype *end) {
        for (;;) {
            *end = m_buffer.indexOf("\r\n", from);
            if (*end >= 0)
                return true;
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            if (!readMore(deadline) && m_peerClosed)
                return false;
        }
    };
    auto failure = [&] {
        return fail(m_peerClosed ? u"connection closed"_s : u"timeout"_s);
    };

    // Head; interim 1xx answers (100 Continue) are skipped.
    for (;;) {
        qsizetype end = -1;
        for (;;) {
            end = m_buffer.indexOf("\r\n\r\n");
            if (end >= 0)
                break;
            if (std::chrono::steady_clock::now() >= deadline || (!readMore(deadline) && m_peerClosed))
                return failure();
        }
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        m_buffer.remove(0, end + 4);
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        if (statusLine.size() < 2 || !statusLine.first().startsWith("HTTP/"))
            return fail(u"malformed status line"_s);
        response.status = statusLine.at(1).toInt();
        response.reason = lines.first().trimmed().mid(statusLine.at(0).size() + statusLine.at(1).size() + 2);
        response.headers.clear();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                response.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
        }
        if (response.status >= 100 && response.status < 200 && response.status != 101)
            continue;
        break;
    }
    response.headAt = std::chrono::steady_clock::now();
    const bool serverWillClose = response.header("connection").toLower() == "close";

    auto done = [&] {
        response.complete = true;
        response.doneAt = std::chrono::steady_clock::now();
        if (serverWillClose)
            (void)serverClosed(200ms);  // so serverClosed() answers without waiting
        return true;
    };

    const bool noBody = method == "HEAD" || response.status == 204 || response.status == 304
                        || response.status < 200;
    if (noBody)
        return done();
    if (stopAfterChunks == 0) {
        response.doneAt = std::chrono::steady_clock::now();
        return true;
    }

    if (response.header("transfer-encoding").toLower().contains("chunked")) {
        response.chunked = true;
        for (;;) {
            qsizetype end = -1;
            if (!needLine(0, &end))
                return failure();
            const QByteArray sizeLine = m_buffer.left(end);
            bool ok = false;
            const qsizetype size = sizeLine.split(';').first().trimmed().toLongLong(&ok, 16);
            if (!ok || size < 0)
                return fail(u"malformed chunk size"_s);
            if (size == 0) {
                // Trailers end with an empty line.
                for (;;) {
                    qsizetype lineEnd = -1;
                    if (!needLine(end + 2, &lineEnd))
                        return failure();
                    const bool last = lineEnd == end + 2;
                    end = lineEnd;
                    if (last)
                        break;
                }
                m_buffer.remove(0, end + 2);
                return done();
            }
            if (!need(end + 2 + size + 2))
                return failure();
            const QByteArray data = m_buffer.mid(end + 2, size);
            m_buffer.remove(0, end + 2 + size + 2);
            response.body += data;
            response.chunks.append({data, std::chrono::steady_clock::now()});
            if (stopAfterChunks > 0 && response.chunks.size() >= stopAfterChunks) {
                response.doneAt = std::chrono::steady_clock::now();
                return true;
            }
        }
    }

    if (response.hasHeader("content-length")) {
        const qsizetype length = response.header("content-length").toLongLong();
        if (stopAfterChunks > 0) {
            need(1);
            response.body = m_buffer.left(std::min(length, m_buffer.size()));
            response.doneAt = std::chrono::steady_clock::now();
            return true;
        }
        if (!need(length))
            return failure();
        response.body = m_buffer.left(length);
        m_buffer.remove(0, length);
        return done();
    }

    // No length: the body runs until the server closes the connection.
    while (!m_peerClosed) {
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(u"timeout"_s);
        readMore(deadline);
        if (stopAfterChunks > 0 && !m_buffer.isEmpty())
            break;
    }
    response.body = m_buffer;
    m_buffer.clear();
    if (stopAfterChunks > 0) {
        response.doneAt = std::chrono::steady_clock::now();
        return true;
    }
    return done();
}

} // namespace Tollgate::Test
