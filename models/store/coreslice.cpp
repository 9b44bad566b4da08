#include "coreslice.h"

#include <sqlite3.h>

#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace Tollgate::CoreSlice {

namespace {

struct ThreadSlice
{
    bool enabled = false;
    bool (*mayYield)(const void *) = nullptr;
    const void *context = nullptr;
    qint64 startedNs = 0;
    quint64 yields = 0;
};

thread_local ThreadSlice t_slice;

qint64 nowNs()
{
    timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// ---- the VFS: every call goes to the one that was the default; reads, writes, truncates and
// syncs check the slice first. One file = our header, then the underlying VFS's file.

sqlite3_vfs *g_base = nullptr;
sqlite3_vfs g_vfs {};

struct SlicedFile
{
    sqlite3_file base;                 // pMethods: g_methods (or null when the open failed)
    const sqlite3_io_methods *real;    // the underlying file's methods
    // the underlying file follows
};

sqlite3_file *realFile(sqlite3_file *file)
{
    return reinterpret_cast<sqlite3_file *>(reinterpret_cast<SlicedFile *>(file) + 1);
}

const sqlite3_io_methods *realMethods(sqlite3_file *file)
{
    return reinterpret_cast<SlicedFile *>(file)->real;
}

int slicedClose(sqlite3_file *file)
{
    return realMethods(file)->xClose(realFile(file));
}

int slicedRead(sqlite3_file *file, void *buffer, int amount, sqlite3_int64 offset)
{
    check();
    return realMethods(file)->xRead(realFile(file), buffer, amount, offset);
}

int slicedWrite(sqlite3_file *file, const void *buffer, int amount, sqlite3_int64 offset)
{
    check();
    return realMethods(file)->xWrite(realFile(file), buffer, amount, offset);
}

int slicedTruncate(sqlite3_file *file, sqlite3_int64 size)
{
    check();
    return realMethods(file)->xTruncate(realFile(file), size);
}

int slicedSync(sqlite3_file *file, int flags)
{
    check();
    const int rc = realMethods(file)->xSync(realFile(file), flags);
    restart();  // it slept on the disk: the core was free meanwhile
    return rc;
}

int slicedFileSize(sqlite3_file *file, sqlite3_int64 *size)
{
    return realMethods(file)->xFileSize(realFile(file), size);
}

int slicedLock(sqlite3_file *file, int level)
{
    return realMethods(file)->xLock(realFile(file), level);
}

int slicedUnlock(sqlite3_file *file, int level)
{
    return realMethods(file)->xUnlock(realFile(file), level);
}

int slicedCheckReservedLock(sqlite3_file *file, int *out)
{
    return realMethods(file)->xCheckReservedLock(realFile(file), out);
}

int slicedFileControl(sqlite3_file *file, int op, void *arg)
{
    const int rc = realMethods(file)->xFileControl(realFile(file), op, arg);
    if (op == SQLITE_FCNTL_VFSNAME && rc == SQLITE_OK && arg) {
        // "tollgate-sliced/unix": what PRAGMA vfs_list-style tools show.
        char **name = static_cast<char **>(arg);
        *name = sqlite3_mprintf("%s/%z", g_vfs.zName, *name);
    }
    return rc;
}

int slicedSectorSize(sqlite3_file *file)
{
    return realMethods(file)->xSectorSize(realFile(file));
}

int slicedDeviceCharacteristics(sqlite3_file *file)
{
    return realMethods(file)->xDeviceCharacteristics(realFile(file));
}

int slicedShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    return realMethods(file)->xShmMap(realFile(file), region, size, extend, out);
}

int slicedShmLock(sqlite3_file *file, int offset, int n, int flags)
{
    return realMethods(file)->xShmLock(realFile(file), offset, n, flags);
}

void slicedShmBarrier(sqlite3_file *file)
{
    realMethods(file)->xShmBarrier(realFile(file));
}

int slicedShmUnmap(sqlite3_file *file, int deleteFlag)
{
    return realMethods(file)->xShmUnmap(realFile(file), deleteFlag);
}

int slicedFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out)
{
    return realMethods(file)->xFetch(realFile(file), offset, amount, out);
}

int slicedUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page)
{
    return realMethods(file)->xUnfetch(realFile(file), offset, page);
}

// One table per version the underlying file may have: the optional members stay null where
// the real file has none, as SQLite expects.
sqlite3_io_methods methodsFor(int version)
{
    sqlite3_io_methods methods {};
    methods.iVersion = version;
    methods.xClose = slicedClose;
    methods.xRead = slicedRead;
    methods.xWrite = slicedWrite;
    methods.xTruncate = slicedTruncate;
    methods.xSync = slicedSync;
    methods.xFileSize = slicedFileSize;
    methods.xLock = slicedLock;
    methods.xUnlock = slicedUnlock;
    methods.xCheckReservedLock = slicedCheckReservedLock;
    methods.xFileControl = slicedFileControl;
    methods.xSectorSize = slicedSectorSize;
    methods.xDeviceCharacteristics = slicedDeviceCharacteristics;
    if (version >= 2) {
        methods.xShmMap = slicedShmMap;
        methods.xShmLock = slicedShmLock;
        methods.xShmBarrier = slicedShmBarrier;
        methods.xShmUnmap = slicedShmUnmap;
    }
    if (version >= 3) {
        methods.xFetch = slicedFetch;
        methods.xUnfetch = slicedUnfetch;
    }
    return methods;
}

const sqlite3_io_methods g_methods[3] = {methodsFor(1), methodsFor(2), methodsFor(3)};

int slicedOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags)
{
    auto *sliced = reinterpret_cast<SlicedFile *>(file);
    sliced->base.pMethods = nullptr;
    sliced->real = nullptr;
    const int rc = g_base->xOpen(g_base, name, realFile(file), flags, outFlags);
    const sqlite3_io_methods *real = realFile(file)->pMethods;
    if (real) {
        // Also on failure: SQLite calls xClose when pMethods is set, and the real file needs it.
        sliced->real = real;
        sliced->base.pMethods = &g_methods[std::clamp(real->iVersion, 1, 3) - 1];
    }
    return rc;
}

int slicedDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    return g_base->xDelete(g_base, name, syncDir);
}

int slicedAccess(sqlite3_vfs *, const char *name, int flags, int *out)
{
    return g_base->xAccess(g_base, name, flags, out);
}

int slicedFullPathname(sqlite3_vfs *, const char *name, int size, char *out)
{
    return g_base->xFullPathname(g_base, name, size, out);
}

void *slicedDlOpen(sqlite3_vfs *, const char *name)
{
    return g_base->xDlOpen(g_base, name);
}

void slicedDlError(sqlite3_vfs *, int size, char *out)
{
    g_base->xDlError(g_base, size, out);
}

void (*slicedDlSym(sqlite3_vfs *, void *handle, const char *symbol))(void)
{
    return g_base->xDlSym(g_base, handle, symbol);
}

void slicedDlClose(sqlite3_vfs *, void *handle)
{
    g_base->xDlClose(g_base, handle);
}

int slicedRandomness(sqlite3_vfs *, int size, char *out)
{
    return g_base->xRandomness(g_base, size, out);
}

int slicedSleep(sqlite3_vfs *, int microseconds)
{
    return g_base->xSleep(g_base, microseconds);
}

int slicedCurrentTime(sqlite3_vfs *, double *out)
{
    return g_base->xCurrentTime(g_base, out);
}

int slicedGetLastError(sqlite3_vfs *, int size, char *out)
{
    return g_base->xGetLastError ? g_base->xGetLastError(g_base, size, out) : 0;
}

int slicedCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *out)
{
    return g_base->xCurrentTimeInt64(g_base, out);
}

int slicedSetSystemCall(sqlite3_vfs *, const char *name, sqlite3_syscall_ptr call)
{
    return g_base->xSetSystemCall(g_base, name, call);
}

sqlite3_syscall_ptr slicedGetSystemCall(sqlite3_vfs *, const char *name)
{
    return g_base->xGetSystemCall(g_base, name);
}

const char *slicedNextSystemCall(sqlite3_vfs *, const char *name)
{
    return g_base->xNextSystemCall(g_base, name);
}

} // namespace

void enable(bool (*mayYield)(const void *), const void *context)
{
    t_slice.enabled = true;
    t_slice.mayYield = mayYield;
    t_slice.context = context;
    t_slice.startedNs = nowNs();
}

void disable()
{
    t_slice.enabled = false;
}

void restart()
{
    if (t_slice.enabled)
        t_slice.startedNs = nowNs();
}

void check()
{
    ThreadSlice &slice = t_slice;
    if (!slice.enabled)
        return;
    const qint64 now = nowNs();
    if (now - slice.startedNs <= SliceNs)
        return;
    if (!slice.mayYield || slice.mayYield(slice.context)) {
        sched_yield();
        ++slice.yields;
        slice.startedNs = nowNs();
    } else {
        slice.startedNs = now;
    }
}

quint64 yields()
{
    return t_slice.yields;
}

bool installSqliteVfs()
{
    static std::once_flag once;
    static bool installed = false;
    std::call_once(once, [] {
        if (sqlite3_initialize() != SQLITE_OK)
            return;
        static constexpr char Name[] = "tollgate-sliced";
        if (sqlite3_vfs_find(Name)) {  // another copy of this code in the process did it
            installed = true;
            return;
        }
        g_base = sqlite3_vfs_find(nullptr);
        if (!g_base)
            return;
        g_vfs.iVersion = std::min(g_base->iVersion, 3);
        g_vfs.szOsFile = int(sizeof(SlicedFile)) + g_base->szOsFile;
        g_vfs.mxPathname = g_base->mxPathname;
        g_vfs.zName = Name;
        g_vfs.xOpen = slicedOpen;
        g_vfs.xDelete = slicedDelete;
        g_vfs.xAccess = slicedAccess;
        g_vfs.xFullPathname = slicedFullPathname;
        g_vfs.xDlOpen = g_base->xDlOpen ? slicedDlOpen : nullptr;
        g_vfs.xDlError = g_base->xDlError ? slicedDlError : nullptr;
        g_vfs.xDlSym = g_base->xDlSym ? slicedDlSym : nullptr;
        g_vfs.xDlClose = g_base->xDlClose ? slicedDlClose : nullptr;
        g_vfs.xRandomness = slicedRandomness;
        g_vfs.xSleep = slicedSleep;
        g_vfs.xCurrentTime = slicedCurrentTime;
        g_vfs.xGetLastError = slicedGetLastError;
        if (g_vfs.iVersion >= 2)
            g_vfs.xCurrentTimeInt64 = g_base->xCurrentTimeInt64 ? slicedCurrentTimeInt64 : nullptr;
        if (g_vfs.iVersion >= 3) {
            g_vfs.xSetSystemCall = g_base->xSetSystemCall ? slicedSetSystemCall : nullptr;
            g_vfs.xGetSystemCall = g_base->xGetSystemCall ? slicedGetSystemCall : nullptr;
            g_vfs.xNextSystemCall = g_base->xNextSystemCall ? slicedNextSystemCall : nullptr;
        }
        installed = sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK;
    });
    return installed;
}

} // namespace Tollgate::CoreSlice
