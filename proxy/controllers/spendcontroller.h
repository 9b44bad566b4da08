#pragma once

#include "../router.h"
#include "../services.h"

#include <memory>

namespace Tollgate {

// LiteLLM's spend routes (api.md §6 "Spend"): the spend log, page by page or as a streamed
// CSV export, the global total and a daily report for charts. Every answer is read through
// Store::read(), so the gateway thread never waits on SQL; sums are exact integer
// nano-dollars summed in SQL and turned into USD once.
class SpendController final
{
    Q_DISABLE_COPY_MOVE(SpendController)

public:
    explicit SpendController(GatewayServices &services) : m_services(services) {}

    void registerRoutes(Router &router);

    // Rows per store read (and per chunk) of the CSV export: big enough that the
    // round trips stay cheap, small enough that an export never holds many rows at once.
    static constexpr int ExportPageRows = 500;

private:
    void budgetEvents(RequestContext &context, const ResponderPtr &responder);
    struct CsvExport;

    void logs(RequestContext &context, const ResponderPtr &responder);
    void globalSpend(RequestContext &context, const ResponderPtr &responder);
    void report(RequestContext &context, const ResponderPtr &responder);
    void exportCsv(RequestContext &context, const ResponderPtr &responder);
    // Reads the export's next page and, from the answer, writes it and asks for the next.
    void readNextPage(const std::shared_ptr<CsvExport> &job);

    GatewayServices &m_services;
};

} // namespace Tollgate
