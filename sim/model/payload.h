#pragma once
/// How a request's payload changes along the pipeline, and the GPU memory that takes: one place
/// for the model's stages and for the scenario's checks.

#include <cstddef>

#include "sim/model/params.h"
#include "sim/model/request.h"

namespace servesim {

/// The payload a stage's output spec makes of a request's payload (bytes, pixels).
void apply_output(const OutputParams& out, Request& r);

/// The most GPU memory a request's tensors take from stage `s` of `p` on, while the pipeline
/// keeps them on the GPU: what stage `s` reserves for a request (`probe`, its payload on
/// arrival) that comes from the host, so that a `block`ed GPU never deadlocks midway.
double gpu_run_peak_bytes(const ScenarioParams& p, std::size_t s, Request probe);

}  // namespace servesim
