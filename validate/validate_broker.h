#pragma once
/// `servesim validate --broker`: a real two-stage fan-out pipeline through a real redis-server
/// (validate/broker_pipeline.h), predicted by servesim's redis broker model from isolated
/// microbenchmarks of its two kernels and of Redis, at several fan-outs (docs/validation.md,
/// "Rung 4, brokers").

#include <ostream>

#include "validate/validate.h"

namespace servesim::validate {

/// Runs the broker validation, printing progress and the table to `out`; returns the exit status
/// (o.busy_status, when set, also when redis-server or hiredis is missing).
int run_validate_broker(const ValidateOptions& o, std::ostream& out);

}  // namespace servesim::validate
