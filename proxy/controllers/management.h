#pragma once

#include "../../models/store/identityrepository.h"
#include "../apierror.h"
#include "../router.h"
#include "../services.h"

#include <QJsonObject>

#include <functional>
#include <optional>

namespace Tollgate {

// What the management controllers (keys, users, customers, models) share.
namespace Management {

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

} // namespace Management

} // namespace Tollgate
