#include "curlapi.h"

#include <dlfcn.h>

using namespace Qt::StringLiterals;

namespace Tollgate {

namespace {

struct Loaded
{
    CurlApi api{};
    QString error;  // empty when `api` is complete and initialised
};

// Sets `function` to the library's `name`; the first one missing is noted in `error`.
template<typename Function>
void resolve(void *library, const char *name, Function &function, QString &error)
{
    function = reinterpret_cast<Function>(dlsym(library, name));
    if (!function && error.isEmpty())
        error = u"%1 has no %2"_s.arg(QLatin1StringView(CurlLibrary), QLatin1StringView(name));
}

Loaded load()
{
    Loaded loaded;
    void *library = dlopen(CurlLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        loaded.error = u"cannot load %1: %2"_s.arg(QLatin1StringView(CurlLibrary), QString::fromLocal8Bit(dlerror()));
        return loaded;
    }
    CurlApi &api = loaded.api;
    QString &error = loaded.error;
    decltype(&::curl_global_init) globalInit = nullptr;
    resolve(library, "curl_global_init", globalInit, error);
    resolve(library, "curl_easy_init", api.easy_init, error);
    resolve(library, "curl_easy_setopt", api.easy_setopt, error);
    resolve(library, "curl_easy_getinfo", api.easy_getinfo, error);
    resolve(library, "curl_easy_reset", api.easy_reset, error);
    resolve(library, "curl_easy_cleanup", api.easy_cleanup, error);
    resolve(library, "curl_easy_strerror", api.easy_strerror, error);
    resolve(library, "curl_easy_pause", api.easy_pause, error);
    resolve(library, "curl_multi_init", api.multi_init, error);
    resolve(library, "curl_multi_setopt", api.multi_setopt, error);
    resolve(library, "curl_multi_add_handle", api.multi_add_handle, error);
    resolve(library, "curl_multi_remove_handle", api.multi_remove_handle, error);
    resolve(library, "curl_multi_socket_action", api.multi_socket_action, error);
    resolve(library, "curl_multi_info_read", api.multi_info_read, error);
    resolve(library, "curl_multi_assign", api.multi_assign, error);
    resolve(library, "curl_multi_strerror", api.multi_strerror, error);
    resolve(library, "curl_multi_cleanup", api.multi_cleanup, error);
    resolve(library, "curl_slist_append", api.slist_append, error);
    resolve(library, "curl_slist_free_all", api.slist_free_all, error);
    if (!error.isEmpty())
        return loaded;  // the library stays loaded: unloading what failed half-way gains nothing
    // Not thread-safe itself; the function-local static in curlApi() runs this exactly once.
    const CURLcode code = globalInit(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK)
        error = u"curl_global_init failed: %1"_s.arg(QString::fromUtf8(api.easy_strerror(code)));
    return loaded;
}

} // namespace

const CurlApi *curlApi(QString *error)
{
    static const Loaded loaded = load();
    if (!loaded.error.isEmpty()) {
        if (error)
            *error = loaded.error;
        return nullptr;
    }
    return &loaded.api;
}

} // namespace Tollgate
