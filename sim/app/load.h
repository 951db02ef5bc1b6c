#pragma once
/// Turning a scenario's workload into the load a verb needs (plan's saturation and SLO runs,
/// amdahl's zero-load run) while keeping what the user wrote about it: the image mix and the
/// client.

#include <string>

#include "sim/config/tree.h"

namespace servesim {

/// Makes the workload of `root` a closed loop of `value` clients (`closed`) or an open stream at
/// rate `value`, as --set overrides numbered on from `n`; the other mode's keys are dropped
/// first, everything else is kept. `threads`: for an open load whose workload.client does not
/// say, the client's threads (enough that the client never throttles the rate it is asked for).
void set_workload(ConfigNode& root, bool closed, const std::string& value, int threads, int& n);

}  // namespace servesim
