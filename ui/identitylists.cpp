#include "identitylists.h"

#include "apiclient.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

using namespace Qt::StringLiterals;

namespace Tollgate::IdentityLists {

namespace {

// The API's largest page; a guard against a gateway that never stops paging.
constexpr int PageSize = 100;
constexpr int MaxPages = 1000;

template <typename Record>
struct Fetch
{
    QString path;
    QString sizeParameter;
    QString listField;
    QList<Record> records;
    std::function<void(const QList<Record> &, bool)> done;
};

template <typename Record>
void fetchPage(ApiClient *api, QObject *context, std::shared_ptr<Fetch<Record>> fetch, int page)
{
    QUrlQuery query;
    query.addQueryItem(u"return_full_object"_s, u"true"_s);
    query.addQueryItem(fetch->sizeParameter, QString::number(PageSize));
    query.addQueryItem(u"page"_s, QString::number(page));
    api->get(fetch->path, query, context, [api, context, fetch, page](const ApiReply &reply) {
        if (!reply.ok()) {
            fetch->done(fetch->records, false);
            return;
        }
        const QJsonObject object = reply.json.object();
        for (const QJsonValue &value : object.value(fetch->listField).toArray())
            fetch->records.append(Record::fromJson(value.toObject()));
        if (page < object.value(u"total_pages"_s).toInt() && page < MaxPages)
            fetchPage(api, context, fetch, page + 1);
        else
            fetch->done(fetch->records, true);
    });
}

} // namespace

void fetchKeys(ApiClient *api, QObject *context, KeysCallback done)
{
    auto fetch = std::make_shared<Fetch<KeyRecord>>();
    fetch->path = u"/key/list"_s;
    fetch->sizeParameter = u"size"_s;
    fetch->listField = u"keys"_s;
    fetch->done = std::move(done);
    fetchPage(api, context, fetch, 1);
}

void fetchUsers(ApiClient *api, QObject *context, UsersCallback done)
{
    auto fetch = std::make_shared<Fetch<UserRecord>>();
    fetch->path = u"/user/list"_s;
    fetch->sizeParameter = u"page_size"_s;
    fetch->listField = u"users"_s;
    fetch->done = std::move(done);
    fetchPage(api, context, fetch, 1);
}

void fetchUserIds(ApiClient *api, QObject *context, std::function<void(const QStringList &ids)> done)
{
    fetchUsers(api, context, [done = std::move(done)](const QList<UserRecord> &users, bool ok) {
        if (!ok)
            return;
        QStringList ids;
        for (const UserRecord &user : users)
            ids.append(user.userId);
        done(ids);
    });
}

ModelChoices modelChoices(const QList<ModelRecord> &models)
{
    ModelChoices choices;
    for (const ModelRecord &model : models) {
        if (!choices.models.contains(model.modelName))
            choices.models.append(model.modelName);
        for (const QString &group : model.accessGroups) {
            if (!choices.groups.contains(group))
                choices.groups.append(group);
        }
    }
    choices.models.sort(Qt::CaseInsensitive);
    choices.groups.sort(Qt::CaseInsensitive);
    return choices;
}

QHash<QString, QString> keyNames(const QList<KeyRecord> &keys, const QString &masterKeyToken,
                                 const QStringList &previousMasterKeyTokens)
{
    QHash<QString, QString> names;
    for (const QString &token : previousMasterKeyTokens)
        names.insert(token, QCoreApplication::translate("Tollgate::IdentityLists", "Master key (previous)"));
    for (const KeyRecord &key : keys)
        names.insert(key.token, key.displayName());
    if (!masterKeyToken.isEmpty())
        names.insert(masterKeyToken, QCoreApplication::translate("Tollgate::IdentityLists", "Master key"));
    return names;
}

QString keyLabel(const QHash<QString, QString> &names, const QString &token)
{
    if (token.isEmpty())
        return QCoreApplication::translate("Tollgate::IdentityLists", "No key (open access)");
    const QString name = names.value(token);
    if (!name.isEmpty())
        return name;
    return QCoreApplication::translate("Tollgate::IdentityLists", "Deleted key %1…").arg(token.left(8));
}

} // namespace Tollgate::IdentityLists
