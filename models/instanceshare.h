#pragma once

#include "identity.h"

#include <QtGlobal>

namespace Tollgate {

// Rate limits split over the live gateway instances of one database (shared mode,
// docs/shared-instances.md). Each instance enforces its share of a limit L: floor(L / live), plus
// one for the instances ranked below L mod live (rank: the position of the instance's id among
// the live ids, sorted). The shares of one membership sum to exactly L, so the union of the
// instances never admits more than L per window while the membership holds; an instance ranked at
// or past L (when L < live) gets 0 and refuses — the client's retry lands elsewhere.
// `live` ≤ 1 (the only instance) or a limit ≤ 0 leaves the limit as it is.
qint64 instanceShare(qint64 limit, int live, int rank);

// Every limit of `limits` (rpm, tpm, max_parallel_requests) through instanceShare.
RateLimits instanceShare(const RateLimits &limits, int live, int rank);

} // namespace Tollgate
