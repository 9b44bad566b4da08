#pragma once

#include "apitypes.h"

#include <QHash>
#include <QList>

#include <functional>

class QObject;

namespace Tollgate {

class ApiClient;

// Whole lists of keys and users: the API pages them (at most 100 per page), the Budgets
// page and the key names on the dashboard and spend log want all of them. The callback
// runs once, after the last page (ok = false: a page failed; the banner has the message).
namespace IdentityLists {

using KeysCallback = std::function<void(const QList<KeyRecord> &keys, bool ok)>;
using UsersCallback = std::function<void(const QList<UserRecord> &users, bool ok)>;

void fetchKeys(ApiClient *api, QObject *context, KeysCallback done);
void fetchUsers(ApiClient *api, QObject *context, UsersCallback done);
// The users' ids, for a field that offers them; not called when a page failed (then no name
// is said to be unknown).
void fetchUserIds(ApiClient *api, QObject *context, std::function<void(const QStringList &ids)> done);

// The model names and the access groups of `models`, each once, sorted: what a models field offers.
struct ModelChoices
{
    QStringList models;
    QStringList groups;
};
ModelChoices modelChoices(const QList<ModelRecord> &models);

// token → what the window calls the key (alias, else "sk-...abcd"); `masterKeyToken` (the
// SHA-256 hex the gateway records for master-key calls, ApiClient::masterKeyToken()) is
// "Master key", `previousMasterKeyTokens` (ApiClient::previousMasterKeyTokens()) are
// "Master key (previous)".
QHash<QString, QString> keyNames(const QList<KeyRecord> &keys, const QString &masterKeyToken = {},
                                 const QStringList &previousMasterKeyTokens = {});

// What the window calls the key behind a spend-log or report `api_key`: its name from
// `names`, "No key (open access)" for "" (calls on a gateway without a master key), else
// "Deleted key 63b0e2…" (the start of the token, something to search for).
QString keyLabel(const QHash<QString, QString> &names, const QString &token);

} // namespace IdentityLists

} // namespace Tollgate
