#pragma once

#include "../../models/duration.h"
#include "../../models/money.h"
#include "../../models/store/identityrepository.h"
#include "../apierror.h"
#include "../router.h"
#include "../services.h"

#include <QJsonObject>

#include <functional>
#include <optional>

namespace Tollgate {

class JsonReader;

// What the management controllers (keys, users, customers, models) share.
struct Budget;
struct RateLimits;
class JsonReader;

namespace Management {

// The budget and rate-limit fields of a /user, /customer or /key body — max_budget,
// soft_budget, budget_duration, tpm_limit, rpm_limit, max_parallel_requests — as a change to
// apply: a value sets the field, an explicit null removes the limit (as LiteLLM's updates
// do), an absent field is left alone.
struct BudgetPatch
{
    // Outer optional: the field was given; inner: its value (nullopt = remove).
    std::optional<std::optional<NanoUsd>> maxBudget;
    std::optional<std::optional<NanoUsd>> softBudget;
    std::optional<std::optional<Duration>> duration;
    std::optional<std::optional<qint64>> tpm;
    std::optional<std::optional<qint64>> rpm;
    std::optional<std::optional<qint64>> maxParallel;
    // "spend": an admin's explicit edit (reset to 0, a correction), as LiteLLM's /key/update
    // takes it. Never null; the budget window stays.
    std::optional<NanoUsd> spend;

    // Reads one of the seven fields by name (callers keep their own reading order, so the
    // first wrongly typed field is the one a 400 names).
    void read(JsonReader &reader, const QString &field);
    // All seven, in the order /user and /customer read them.
    static BudgetPatch readAll(JsonReader &reader);
    // A new budget_duration starts a fresh window from `now` (api.md §3).
    void applyTo(Budget &budget, RateLimits &limits, const QDateTime &now) const;
};

// readAll + applyTo.
void readBudgetAndLimits(JsonReader &reader, Budget &budget, RateLimits &limits, const QDateTime &now);

// The request body as a JSON object; on failure a 400 has been sent and nullopt returned.
// An empty body reads as {}.
std::optional<QJsonObject> parseBody(const RequestContext &context, const ResponderPtr &responder);

void sendJson(const ResponderPtr &responder, const QJsonValue &value, int status = 200);
void fail(const ResponderPtr &responder, ApiError error, const QString &message,
          const std::optional<QString> &param = std::nullopt);

// Persists `jobs` plus the audit entry in one store write, then — on the gateway thread,
// after COMMIT — runs `onCommitted` (which answers). If the write fails, `onFailed` runs
// (undo the in-memory change) and a 503 is sent. Without a store, `onCommitted` runs at once.
void commit(GatewayServices &services, QList<Store::WriteJob> jobs, const AuditEntry &audit,
            const ResponderPtr &responder, std::function<void()> onCommitted,
            std::function<void()> onFailed = {});

// The current time from the services' clock.
QDateTime now(const GatewayServices &services);

// A 400 for the field `reader` found wrong.
void badRequest(const ResponderPtr &responder, const JsonReader &reader);

// The fields of `body` named in `known`: only known fields of a request go to the audit log.
QJsonObject knownFields(const QJsonObject &body, const QStringList &known);

// The body's `user_ids`: present, non-empty, strings (with `rejectEmptyIds`, none of them "");
// duplicates dropped. When it is missing or empty a 400 with `requiredMessage` is sent; on
// any failure nullopt is returned.
std::optional<QStringList> readUserIds(const QJsonObject &body, const ResponderPtr &responder,
                                       const QString &requiredMessage, bool rejectEmptyIds = false);

// End-user ids (a call's `user`, /customer ids) are capped, so that a caller cannot fill the
// end_users table and the spend log with megabytes per row.
inline constexpr qsizetype MaxEndUserIdLength = 256;
// False (and a 400 naming `param` sent) when `id` is longer than MaxEndUserIdLength.
bool checkEndUserId(const QString &id, const QString &param, const ResponderPtr &responder);

// A key's or user's `metadata` is stored as given and read by nothing: capped (as compact JSON),
// so that a caller (an internal_user sets its own keys') cannot fill memory and the database
// with megabytes per key.
inline constexpr qsizetype MaxMetadataBytes = 16 * 1024;

// The ids of `ids` that `exists` does not know.
QStringList unknownIds(const QStringList &ids, const std::function<bool(const QString &)> &exists);

// The 404 for `user_ids` naming unknown ids: "<what> not found: <unknown>. Nothing was <outcome>."
void failUnknownIds(const ResponderPtr &responder, const QString &what, const QStringList &unknown,
                    const QString &outcome);

// commit() with one audit row per object: the first goes through commit(), the others ride
// along as jobs of the same transaction.
void commitEach(GatewayServices &services, QList<Store::WriteJob> jobs, const QList<AuditEntry> &audits,
                const ResponderPtr &responder, std::function<void()> onCommitted,
                std::function<void()> onFailed = {});

// What an update undoes when its write fails: `before` again, but spend counted meanwhile (as
// in `current`, the record now in the registry, if any) stays.
template <typename Record>
Record restoredKeepingSpend(Record before, const Record *current)
{
    if (current)
        before.budget.spend = current->budget.spend;
    return before;
}

} // namespace Management

} // namespace Tollgate
