#pragma once

// libcurl, loaded when the first call needs it. Most gateways never do: a plain-http provider at
// an IP address (a local model server, the mock) goes through PlainHttpClient, so linking libcurl
// would only map it and its TLS, LDAP, SSH and Kerberos libraries into every idle gateway (about
// 3.5 MiB of resident memory, issue #16). The first https call, a host name or a proxy loads it.
#include <curl/curl.h>

#include <QString>

namespace Tollgate {

// The libcurl functions UpstreamClient calls, named as in curl.h without the "curl_" prefix.
struct CurlApi
{
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_reset) easy_reset;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_easy_pause) easy_pause;
    decltype(&::curl_multi_init) multi_init;
    decltype(&::curl_multi_setopt) multi_setopt;
    decltype(&::curl_multi_add_handle) multi_add_handle;
    decltype(&::curl_multi_remove_handle) multi_remove_handle;
    decltype(&::curl_multi_socket_action) multi_socket_action;
    decltype(&::curl_multi_info_read) multi_info_read;
    decltype(&::curl_multi_assign) multi_assign;
    decltype(&::curl_multi_strerror) multi_strerror;
    decltype(&::curl_multi_cleanup) multi_cleanup;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

// The soname loaded: libcurl's ABI has been version 4 since 2006.
inline constexpr char CurlLibrary[] = "libcurl.so.4";

// libcurl's functions, loaded and curl_global_init'ed on the first call (thread-safe, once per
// process; never unloaded). nullptr when that failed; then `error`, if given, says why.
const CurlApi *curlApi(QString *error = nullptr);

} // namespace Tollgate
