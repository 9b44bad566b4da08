#include "instanceshare.h"

#include <optional>

namespace Tollgate {

qint64 instanceShare(qint64 limit, int live, int rank)
{
    if (live <= 1 || limit <= 0)
        return limit;
    rank = qBound(0, rank, live - 1);
    return limit / live + (rank < limit % live ? 1 : 0);
}

RateLimits instanceShare(const RateLimits &limits, int live, int rank)
{
    const auto split = [live, rank](const std::optional<qint64> &limit) -> std::optional<qint64> {
        if (!limit)
            return std::nullopt;
        return instanceShare(*limit, live, rank);
    };
    return RateLimits{split(limits.rpm), split(limits.tpm), split(limits.maxParallel)};
}

} // namespace Tollgate
