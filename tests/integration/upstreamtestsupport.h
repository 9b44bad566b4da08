// Shared by tst_upstreamclient and tst_plainhttp: what the handlers of a provider call saw.
#pragma once

#include "proxy/upstream/upstreamclient.h"
#include "tests/support/fakeprovider.h"

#include <QList>

#include <chrono>
#include <memory>

namespace Tollgate::Test {

// Everything the handlers of one call saw.
struct CallLog
{
    int heads = 0;
    int dataCalls = 0;
    int dones = 0;
    int status = 0;
    HeaderList headers;
    QByteArray body;
    QList<SteadyTime> dataTimes;
    UpstreamResult result;
    SteadyTime doneAt;

    bool headBeforeData = true;  // no onData came before onHead

    int callbacks() const { return heads + dataCalls + dones; }
    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
};

inline UpstreamHandlers recordInto(const std::shared_ptr<CallLog> &log)
{
    UpstreamHandlers handlers;
    handlers.onHead = [log](int status, const HeaderList &headers) {
        ++log->heads;
        log->status = status;
        log->headers = headers;
    };
    handlers.onData = [log](const QByteArray &chunk) {
        log->headBeforeData = log->headBeforeData && log->heads == 1;
        ++log->dataCalls;
        log->body += chunk;
        log->dataTimes.append(std::chrono::steady_clock::now());
    };
    handlers.onDone = [log](const UpstreamResult &result) {
        ++log->dones;
        log->result = result;
        log->doneAt = std::chrono::steady_clock::now();
    };
    return handlers;
}

} // namespace Tollgate::Test
