#include "upstreamclient.h"

#include "curlapi.h"
#include "plainhttp.h"

#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>
#include <QUrl>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <unordered_map>
#include <vector>

// Per-call lines are debug: off unless asked for (QT_LOGGING_RULES="tollgate.upstream.debug=true").
Q_LOGGING_CATEGORY(lcUpstream, "tollgate.upstream", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

// Easy handles kept for reuse; beyond this a finished handle is simply freed.
constexpr size_t kMaxFreeHandles = 256;
// Distinct header sets kept prepared (a gateway has a few per deployment).
constexpr size_t kMaxHeaderSets = 256;

// libcurl's functions; only called once loadCurl() succeeded (every libcurl call needs a call on
// the libcurl engine, and those exist only then).
const CurlApi &curl()
{
    return *curlApi();
}

// Query strings may carry keys (some providers take `?key=`): log scheme, host and path only.
QString redactedUrl(const QByteArray &url)
{
    return QUrl::fromEncoded(url).toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo
                                           | QUrl::RemoveFragment);
}

} // namespace

struct UpstreamClient::Private
{
    struct Call
    {
        UpstreamCallId id = 0;
        UpstreamRequest request;
        UpstreamHandlers handlers;
        CURL *easy = nullptr;
        std::shared_ptr<curl_slist> headerList;  // shared with the cache and other calls
        bool added = false;      // attached to the multi handle
        bool plainPost = false;  // `easy` is set up for a POST with a body (see FreeHandle)
        bool cancelled = false;
        bool paused = false;     // receiving paused (setPaused)
        bool headDelivered = false;
        int status = 0;
        HeaderList headers;
        char errorBuffer[CURL_ERROR_SIZE] = {};
    };

    // An easy handle kept for reuse. One whose last call was a plain POST keeps its options:
    // the next POST sets only what differs per call (a full curl_easy_reset and the options
    // every call has in common cost more than the call's own setup).
    struct FreeHandle
    {
        CURL *easy = nullptr;
        bool plainPost = false;
    };

    // Provider calls carry the same few header sets over and over (per deployment, stream or
    // not): each set's curl list is built once and shared by the calls that send it.
    struct HeaderSet
    {
        HeaderList headers;
        std::shared_ptr<curl_slist> list;
    };

    struct SocketWatch
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        // curl stopped watching the socket (a kept-alive connection between calls). Its read
        // notifier stays on (`watchedIdle`) until the socket is closed or stirs: switching a
        // notifier on and off wakes the glib event loop each time, and the next call on the
        // connection watches it again. Only for a few: every enabled notifier is polled on every
        // pass of the event loop, and after a burst of 64 parallel calls 64 idle connections in
        // each poll() cost a call at low load ~17 µs (c=1: p50 68 -> 87 µs).
        bool idle = false;
        bool watchedIdle = false;
    };
    static constexpr int MaxWatchedIdle = 4;
    int watchedIdle = 0;  // sockets with watchedIdle set
    void stopWatchingIdle(SocketWatch &watch)
    {
        if (watch.watchedIdle) {
            watch.watchedIdle = false;
            --watchedIdle;
        }
    }

    // Keeps track of how deep we are inside curl or our own callback dispatch. curl_multi_*
    // must not run re-entrantly (CURLM_RECURSIVE_API_CALL) and a Call must not be freed while
    // one of its handlers is running, so both are deferred until the outermost scope ends.
    struct Scope
    {
        explicit Scope(Private *p) : d(p) { ++d->depth; }
        ~Scope()
        {
            if (--d->depth == 0)
                d->flushDeferred();
        }
        Q_DISABLE_COPY_MOVE(Scope)
        Private *d;
    };

    Private(UpstreamClient *owner, Options opts);
    ~Private();

    bool loadCurl(QString *error);
    void tearDownCurl();
    void configure(Call *call);
    std::shared_ptr<curl_slist> headerListFor(const HeaderList &headers);
    void attach(Call *call);
    void failLater(UpstreamCallId id, const QString &message);
    void release(UpstreamCallId id);
    void recycle(CURL *easy, bool plainPost);
    void flushDeferred();

    void socketActivated(curl_socket_t fd, int eventMask);
    void timerFired();
    void processFinished();

    static int socketCallback(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp);
    static int closeSocketCallback(void *clientp, curl_socket_t fd);
    static int timerCallback(CURLM *multi, long timeoutMs, void *userp);
    static size_t headerCallback(char *buffer, size_t size, size_t count, void *userp);
    static size_t writeCallback(char *buffer, size_t size, size_t count, void *userp);

    UpstreamClient *q;
    Options options;
    std::unique_ptr<PlainHttpClient> plain;  // plain-http providers at an IP address
    // The last URL's engine and target: a gateway calls a few URLs over and over.
    QByteArray lastUrl;
    std::optional<PlainHttpTarget> lastTarget;
    CURLM *multi = nullptr;  // created with the first libcurl call (loadCurl)
    QTimer *timer = nullptr;
    std::unordered_map<curl_socket_t, SocketWatch> sockets;
    std::unordered_map<UpstreamCallId, std::unique_ptr<Call>> calls;
    std::vector<FreeHandle> freeHandles;
    std::unordered_multimap<size_t, HeaderSet> headerSets;
    std::vector<UpstreamCallId> pendingAdd;
    std::vector<UpstreamCallId> pendingRelease;
    UpstreamCallId nextId = 1;
    int depth = 0;
};

UpstreamClient::Private::Private(UpstreamClient *owner, Options opts)
    : q(owner), options(opts)
{
    // libcurl honours the proxy variables; the plain engine does not, so with one set every
    // call stays libcurl's.
    const bool proxied = !qEnvironmentVariableIsEmpty("http_proxy") || !qEnvironmentVariableIsEmpty("all_proxy")
                         || !qEnvironmentVariableIsEmpty("ALL_PROXY");
    if (options.plainHttpEngine && options.httpVersion != HttpVersion::Http2 && !proxied)
        plain = std::make_unique<PlainHttpClient>(q, options.maxIdleConnections);
    // Children of the client, so they follow it to another thread with moveToThread().
    timer = new QTimer(q);
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer);
    QObject::connect(timer, &QTimer::timeout, q, [this] { timerFired(); });
}

UpstreamClient::Private::~Private()
{
    plain.reset();
    if (multi)
        tearDownCurl();
    for (auto &[fd, watch] : sockets) {
        delete watch.read;
        delete watch.write;
    }
    sockets.clear();
    delete timer;
}

// The multi handle with this client's callbacks, made on the first call libcurl takes (loading
// libcurl first if no client of the process has yet).
bool UpstreamClient::Private::loadCurl(QString *error)
{
    if (multi)
        return true;
    if (!curlApi(error))
        return false;
    multi = curl().multi_init();
    if (!multi) {
        *error = u"curl_multi_init failed"_s;
        return false;
    }
    curl().multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Private::socketCallback);
    curl().multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl().multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Private::timerCallback);
    curl().multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl().multi_setopt(multi, CURLMOPT_MAXCONNECTS, options.maxIdleConnections);
    // Providers get as many parallel connections as there are calls (QNAM's cap of 6 is what
    // made it unusable); 0 means no limit.
    curl().multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    curl().multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
    return true;
}

void UpstreamClient::Private::tearDownCurl()
{
    // Nothing may call back into this half-destroyed object while curl tears down.
    curl().multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, nullptr);
    curl().multi_setopt(multi, CURLMOPT_TIMERFUNCTION, nullptr);
    for (auto &[id, call] : calls) {
        if (call->added)
            curl().multi_remove_handle(multi, call->easy);
        if (call->easy)
            curl().easy_cleanup(call->easy);
        call->easy = nullptr;
    }
    calls.clear();
    for (const FreeHandle &handle : freeHandles)
        curl().easy_cleanup(handle.easy);
    freeHandles.clear();
    curl().multi_cleanup(multi);
    multi = nullptr;
}

std::shared_ptr<curl_slist> UpstreamClient::Private::headerListFor(const HeaderList &headers)
{
    size_t hash = 0;
    for (const auto &[name, value] : headers)
        hash = qHashMulti(hash, name, value);
    const auto [from, to] = headerSets.equal_range(hash);
    for (auto it = from; it != to; ++it) {
        if (it->second.headers == headers)
            return it->second.list;
    }
    curl_slist *list = nullptr;
    for (const auto &[name, value] : headers) {
        // A CR/LF in a header would let a caller inject headers or a second request.
        if (name.isEmpty() || !isSafeHeaderPart(name) || !isSafeHeaderPart(value)) {
            qCWarning(lcUpstream) << "dropping malformed header" << name;
            continue;
        }
        // "Name:" would make curl remove the header; "Name;" sends it with an empty value.
        const QByteArray line = value.isEmpty() ? QByteArray(name + ';')
                                                : QByteArray(name + ": " + value);
        list = curl().slist_append(list, line.constData());
    }
    // Otherwise curl may wait up to a second for a "100 Continue" before sending large bodies.
    list = curl().slist_append(list, "Expect:");
    std::shared_ptr<curl_slist> shared(list, curl().slist_free_all);
    // Bounded: sets that vary per call (a client's anthropic-beta) only cost their own list.
    if (headerSets.size() >= kMaxHeaderSets)
        headerSets.clear();  // calls in flight keep theirs
    headerSets.emplace(hash, HeaderSet{headers, shared});
    return shared;
}

void UpstreamClient::Private::configure(Call *call)
{
    const UpstreamRequest &request = call->request;
    const QByteArray method = request.method.toUpper();
    const bool hasBody = !request.body.isEmpty();
    const bool post = method == "POST" && hasBody;

    CURL *easy = nullptr;
    bool ready = false;  // a reused handle whose last call was a plain POST too
    if (!freeHandles.empty()) {
        const FreeHandle handle = freeHandles.back();
        freeHandles.pop_back();
        easy = handle.easy;
        ready = post && handle.plainPost;
        if (!ready)
            curl().easy_reset(easy);
    } else {
        easy = curl().easy_init();
    }
    call->easy = easy;
    call->plainPost = post;

    curl().easy_setopt(easy, CURLOPT_URL, request.url.constData());
    curl().easy_setopt(easy, CURLOPT_PRIVATE, call);
    curl().easy_setopt(easy, CURLOPT_ERRORBUFFER, call->errorBuffer);
    const long timeoutMs = static_cast<long>(std::max<qint64>(0, request.timeout.count()));
    curl().easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeoutMs);
    const long connectMs = timeoutMs > 0
                               ? std::min<long>(timeoutMs, static_cast<long>(MaxUpstreamConnectTimeout.count()))
                               : static_cast<long>(MaxUpstreamConnectTimeout.count());
    curl().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connectMs);
    call->headerList = headerListFor(request.headers);
    curl().easy_setopt(easy, CURLOPT_HTTPHEADER, call->headerList.get());
    curl().easy_setopt(easy, CURLOPT_HEADERDATA, call);
    curl().easy_setopt(easy, CURLOPT_WRITEDATA, call);
    if (post) {
        // POSTFIELDS is not copied: the call owns request.body until it is released.
        curl().easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.constData());
        curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    if (ready)
        return;

    // What every call has in common (kept by a reused handle until it is reset).
    curl().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    // Calls may sit idle for minutes while a model thinks; keep NAT and proxies from dropping them.
    curl().easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl().easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);

    long httpVersion = CURL_HTTP_VERSION_1_1;
    switch (options.httpVersion) {
    case HttpVersion::Http11:
        httpVersion = CURL_HTTP_VERSION_1_1;
        break;
    case HttpVersion::Http2Tls:
        httpVersion = CURL_HTTP_VERSION_2TLS;
        break;
    case HttpVersion::Http2:
        httpVersion = CURL_HTTP_VERSION_2_0;
        break;
    }
    curl().easy_setopt(easy, CURLOPT_HTTP_VERSION, httpVersion);
    curl().easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Private::headerCallback);
    curl().easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Private::writeCallback);
    curl().easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &Private::closeSocketCallback);
    curl().easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);

    if (post)
        return;
    if (method == "GET" && !hasBody) {
        curl().easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else if (method == "HEAD") {
        curl().easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        curl().easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.constData());
        curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
        if (method != "POST")
            curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.constData());
    }
}

void UpstreamClient::Private::attach(Call *call)
{
    const CURLMcode code = curl().multi_add_handle(multi, call->easy);
    if (code == CURLM_OK) {
        call->added = true;
        return;
    }
    qCWarning(lcUpstream) << "curl_multi_add_handle failed:" << curl().multi_strerror(code);
    failLater(call->id, QString::fromUtf8(curl().multi_strerror(code)));
}

void UpstreamClient::Private::failLater(UpstreamCallId id, const QString &message)
{
    // Reported asynchronously like every other outcome, never from inside start().
    QMetaObject::invokeMethod(q, [this, id, message] {
        const auto it = calls.find(id);
        if (it == calls.end() || it->second->cancelled)
            return;
        Scope scope(this);
        Call *failed = it->second.get();
        failed->cancelled = true;  // no further callbacks, and released when the scope ends
        pendingRelease.push_back(id);
        if (failed->handlers.onDone)
            failed->handlers.onDone(UpstreamResult{UpstreamResult::Status::Failed, message});
    }, Qt::QueuedConnection);
}

void UpstreamClient::Private::recycle(CURL *easy, bool plainPost)
{
    if (freeHandles.size() < kMaxFreeHandles)
        freeHandles.push_back({easy, plainPost});
    else
        curl().easy_cleanup(easy);
}

void UpstreamClient::Private::release(UpstreamCallId id)
{
    const auto it = calls.find(id);
    if (it == calls.end())
        return;
    Call *call = it->second.get();
    if (call->added) {
        // An unfinished transfer's connection is closed by curl, which the provider sees as
        // the client leaving.
        curl().multi_remove_handle(multi, call->easy);
        call->added = false;
    }
    if (call->easy) {
        recycle(call->easy, call->plainPost);
        call->easy = nullptr;
    }
    calls.erase(it);
}

void UpstreamClient::Private::flushDeferred()
{
    // Releasing or adding handles never runs a handler, so this cannot recurse.
    while (!pendingRelease.empty() || !pendingAdd.empty()) {
        std::vector<UpstreamCallId> releases;
        releases.swap(pendingRelease);
        for (UpstreamCallId id : releases)
            release(id);
        std::vector<UpstreamCallId> adds;
        adds.swap(pendingAdd);
        for (UpstreamCallId id : adds) {
            const auto it = calls.find(id);
            if (it != calls.end() && !it->second->cancelled && !it->second->added)
                attach(it->second.get());
        }
    }
}

void UpstreamClient::Private::socketActivated(curl_socket_t fd, int eventMask)
{
    if (const auto it = sockets.find(fd); it != sockets.end() && it->second.idle) {
        // An idle kept-alive connection stirred (the provider closed it, most likely): curl
        // is not watching it and learns of it when it next uses or drops the connection.
        stopWatchingIdle(it->second);
        it->second.read->setEnabled(false);
        it->second.write->setEnabled(false);
        return;
    }
    if (depth > 0) {
        // A handler spun a nested event loop: curl is on the stack, so poll it again later.
        timer->start(1);
        return;
    }
    Scope scope(this);
    int running = 0;
    curl().multi_socket_action(multi, fd, eventMask, &running);
    processFinished();
}

void UpstreamClient::Private::timerFired()
{
    if (depth > 0) {
        timer->start(1);
        return;
    }
    Scope scope(this);
    int running = 0;
    curl().multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
    processFinished();
}

void UpstreamClient::Private::processFinished()
{
    struct Finished
    {
        UpstreamCallId id;
        UpstreamResult result;
        long responseCode;
    };
    std::vector<Finished> finished;

    int queued = 0;
    while (CURLMsg *message = curl().multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE)
            continue;
        // The result lives in the message, which curl_multi_remove_handle frees.
        const CURLcode code = message->data.result;
        CURL *easy = message->easy_handle;
        char *priv = nullptr;
        curl().easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        auto *call = reinterpret_cast<Call *>(priv);
        long responseCode = 0;
        curl().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &responseCode);
        // Whether the provider got the whole request (a call that failed may still be billed).
        long requestSize = 0;
        curl_off_t uploaded = 0;
        if (code != CURLE_OK) {
            curl().easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &requestSize);
            curl().easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
        }
        curl().multi_remove_handle(multi, easy);
        if (!call) {
            recycle(easy, false);
            continue;
        }
        call->added = false;
        recycle(easy, call->plainPost);
        call->easy = nullptr;
        if (call->cancelled)
            continue;  // already queued for release; a cancelled call reports nothing

        UpstreamResult result;
        switch (code) {
        case CURLE_OK:
            result.status = UpstreamResult::Status::Ok;
            break;
        case CURLE_OPERATION_TIMEDOUT:
            result.status = UpstreamResult::Status::Timeout;
            break;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            result.status = UpstreamResult::Status::ConnectFailed;
            break;
        default:
            result.status = UpstreamResult::Status::Failed;
            break;
        }
        if (code != CURLE_OK) {
            result.requestSent = requestSize > 0 && uploaded >= curl_off_t(call->request.body.size());
            result.message = QString::fromUtf8(curl().easy_strerror(code));
            if (call->errorBuffer[0] != '\0')
                result.message += u": "_s + QString::fromUtf8(call->errorBuffer);
            qCInfo(lcUpstream).noquote() << "call" << call->id << "to"
                                         << redactedUrl(call->request.url) << "failed:"
                                         << result.message;
        }
        finished.push_back({call->id, std::move(result), responseCode});
    }

    // Handlers run after the queue is drained; any of them may cancel or start calls, so the
    // call is looked up again before each one.
    for (Finished &done : finished) {
        auto it = calls.find(done.id);
        if (it == calls.end() || it->second->cancelled)
            continue;
        Call *call = it->second.get();
        pendingRelease.push_back(done.id);
        if (done.result.status == UpstreamResult::Status::Ok && !call->headDelivered) {
            // A bodiless answer never reaches the write callback.
            call->headDelivered = true;
            if (call->status == 0)
                call->status = static_cast<int>(done.responseCode);
            if (call->handlers.onHead)
                call->handlers.onHead(call->status, call->headers);
            if (call->cancelled)
                continue;
        }
        call->cancelled = true;  // finished: later cancel() calls are no-ops
        if (call->handlers.onDone)
            call->handlers.onDone(done.result);
    }
}

int UpstreamClient::Private::socketCallback(CURL *, curl_socket_t fd, int what, void *userp, void *)
{
    auto *d = static_cast<Private *>(userp);
    auto it = d->sockets.find(fd);
    if (what == CURL_POLL_REMOVE) {
        // Comes per transfer and often from inside this fd's own activated(): only toggle the
        // notifiers (deleting one that is emitting is not allowed). A socket is always
        // writable, so its write notifier goes off; the read notifier waits (see SocketWatch).
        if (it != d->sockets.end()) {
            SocketWatch &watch = it->second;
            watch.idle = true;
            watch.write->setEnabled(false);
            if (!watch.watchedIdle && watch.read->isEnabled() && d->watchedIdle < MaxWatchedIdle) {
                watch.watchedIdle = true;
                ++d->watchedIdle;
            } else if (!watch.watchedIdle) {
                watch.read->setEnabled(false);
            }
        }
        curl().multi_assign(d->multi, fd, nullptr);
        return 0;
    }
    if (it == d->sockets.end()) {
        SocketWatch watch;
        watch.read = new QSocketNotifier(fd, QSocketNotifier::Read, d->q);
        watch.write = new QSocketNotifier(fd, QSocketNotifier::Write, d->q);
        watch.read->setEnabled(false);
        watch.write->setEnabled(false);
        QObject::connect(watch.read, &QSocketNotifier::activated, d->q,
                         [d, fd] { d->socketActivated(fd, CURL_CSELECT_IN); });
        QObject::connect(watch.write, &QSocketNotifier::activated, d->q,
                         [d, fd] { d->socketActivated(fd, CURL_CSELECT_OUT); });
        it = d->sockets.emplace(fd, watch).first;
    }
    it->second.idle = false;
    d->stopWatchingIdle(it->second);
    it->second.read->setEnabled(what == CURL_POLL_IN || what == CURL_POLL_INOUT);
    it->second.write->setEnabled(what == CURL_POLL_OUT || what == CURL_POLL_INOUT);
    return 0;
}

int UpstreamClient::Private::closeSocketCallback(void *clientp, curl_socket_t fd)
{
    // Before the descriptor is gone (its number may come back for another socket): no
    // notifier may watch it any more.
    auto *d = static_cast<Private *>(clientp);
    if (const auto it = d->sockets.find(fd); it != d->sockets.end()) {
        it->second.read->setEnabled(false);
        it->second.write->setEnabled(false);
        it->second.idle = false;
        d->stopWatchingIdle(it->second);
    }
    return ::close(fd);
}

int UpstreamClient::Private::timerCallback(CURLM *, long timeoutMs, void *userp)
{
    auto *d = static_cast<Private *>(userp);
    // Never drive curl from here: 0 ("now") also goes through the event loop.
    if (timeoutMs < 0)
        d->timer->stop();
    else
        d->timer->start(static_cast<int>(std::min<long>(timeoutMs, INT_MAX)));
    return 0;
}

size_t UpstreamClient::Private::headerCallback(char *buffer, size_t size, size_t count, void *userp)
{
    auto *call = static_cast<Call *>(userp);
    const size_t bytes = size * count;
    if (call->cancelled)
        return 0;
    if (call->headDelivered)
        return bytes;  // trailers of a chunked body: not part of the head we reported
    // A view of curl's buffer: only a header's name and value are copied.
    QByteArrayView line(buffer, static_cast<qsizetype>(bytes));
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    if (line.startsWith("HTTP/")) {
        // A new status line (after 100 Continue or a redirect) starts a new head.
        call->headers.clear();
        call->status = 0;
        const qsizetype space = line.indexOf(' ');
        if (space > 0) {
            const QByteArrayView code = line.sliced(space + 1);
            call->status = code.first(std::min<qsizetype>(3, code.size())).toInt();
        }
        return bytes;
    }
    if (line.isEmpty())
        return bytes;
    if (line.front() == ' ' || line.front() == '\t') {
        // Obsolete line folding: continues the previous header's value.
        if (!call->headers.isEmpty())
            call->headers.last().second.append(' ').append(line.trimmed());
        return bytes;
    }
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0)
        return bytes;
    call->headers.append({line.first(colon).trimmed().toByteArray(), line.sliced(colon + 1).trimmed().toByteArray()});
    return bytes;
}

size_t UpstreamClient::Private::writeCallback(char *buffer, size_t size, size_t count, void *userp)
{
    auto *call = static_cast<Call *>(userp);
    const size_t bytes = size * count;
    // Returning less than `bytes` makes curl abort the transfer (CURLE_WRITE_ERROR), the only
    // way to stop it from inside a callback.
    if (call->cancelled)
        return 0;
    if (!call->headDelivered) {
        call->headDelivered = true;
        if (call->status == 0) {
            long code = 0;
            curl().easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &code);
            call->status = static_cast<int>(code);
        }
        if (call->handlers.onHead)
            call->handlers.onHead(call->status, call->headers);
        if (call->cancelled)
            return 0;
    }
    if (bytes > 0 && call->handlers.onData)
        call->handlers.onData(QByteArray(buffer, static_cast<qsizetype>(bytes)));
    return call->cancelled ? 0 : bytes;
}

UpstreamClient::UpstreamClient(QObject *parent)
    : UpstreamClient(Options{}, parent)
{
}

UpstreamClient::UpstreamClient(Options options, QObject *parent)
    : QObject(parent), d(std::make_unique<Private>(this, options))
{
}

UpstreamClient::~UpstreamClient()
{
    // Deleting the client from inside one of its own handlers would tear curl down under
    // itself; use deleteLater() there.
    Q_ASSERT_X(d->depth == 0, "UpstreamClient", "destroyed from inside a handler");
    if (!d->calls.empty())
        qCDebug(lcUpstream) << "destroying client with" << d->calls.size() << "calls in flight";
}

UpstreamCallId UpstreamClient::start(UpstreamRequest request, UpstreamHandlers handlers)
{
    if (d->plain) {
        if (request.url != d->lastUrl) {
            d->lastTarget = PlainHttpTarget::parse(request.url);
            d->lastUrl = request.url;
        }
        if (d->lastTarget) {
            const UpstreamCallId id = d->nextId++;
            qCDebug(lcUpstream).noquote() << "call" << id << request.method << redactedUrl(request.url);
            d->plain->start(id, *d->lastTarget, std::move(request), std::move(handlers));
            return id;
        }
    }
    auto call = std::make_unique<Private::Call>();
    call->id = d->nextId++;
    call->request = std::move(request);
    call->handlers = std::move(handlers);
    Private::Call *raw = call.get();
    const UpstreamCallId id = raw->id;
    d->calls.emplace(id, std::move(call));
    QString error;
    if (!d->loadCurl(&error)) {
        qCWarning(lcUpstream).noquote() << "call" << id << "to" << redactedUrl(raw->request.url)
                                        << "needs libcurl:" << error;
        d->failLater(id, error);
        return id;
    }
    d->configure(raw);
    qCDebug(lcUpstream).noquote() << "call" << id << raw->request.method
                                  << redactedUrl(raw->request.url);
    if (d->depth > 0)
        d->pendingAdd.push_back(id);  // curl may be on the stack
    else
        d->attach(raw);
    return id;
}

void UpstreamClient::cancel(UpstreamCallId id)
{
    if (d->plain && d->plain->cancel(id))
        return;
    const auto it = d->calls.find(id);
    if (it == d->calls.end() || it->second->cancelled)
        return;
    it->second->cancelled = true;
    qCDebug(lcUpstream) << "call" << id << "cancelled";
    if (d->depth > 0)
        d->pendingRelease.push_back(id);
    else
        d->release(id);
}

void UpstreamClient::setPaused(UpstreamCallId id, bool paused)
{
    if (d->plain && d->plain->setPaused(id, paused))
        return;
    const auto it = d->calls.find(id);
    if (it == d->calls.end() || it->second->cancelled || !it->second->easy || it->second->paused == paused)
        return;
    Private::Call *call = it->second.get();
    call->paused = paused;
    // Unpausing may run the write callback before it returns: a handler cancelling a call then
    // must not free it under curl.
    Private::Scope scope(d.get());
    curl().easy_pause(call->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
}

int UpstreamClient::activeCalls() const
{
    return (d->plain ? d->plain->activeCalls() : 0)
           + static_cast<int>(std::count_if(d->calls.cbegin(), d->calls.cend(),
                                            [](const auto &entry) { return !entry.second->cancelled; }));
}

} // namespace Tollgate
