#pragma once
/// `servesim run --uncertainty N`: draws every banded curve's scale factor N times from a random
/// stream of its own, runs the scenario (all its replications) at each draw, and condenses the
/// results over the draws (docs/model.md, "Input uncertainty").

#include <cstdint>
#include <vector>

#include "sim/metrics/uncertainty.h"
#include "sim/model/params.h"

namespace servesim {

/// The scenario's curves that carry a band, each once, by name in alphabetical order.
std::vector<UncertaintyBand> uncertainty_bands(const ScenarioParams& p);

/// Draw `draw`'s factor for each band: low + (high - low) u, with u uniform on (0, 1) from the
/// stream (seed, draw, "--uncertainty", the curve's name), apart from every stream the
/// simulation draws from, so the same seed gives the same factors whatever else the scenario
/// holds.
std::vector<double> draw_factors(std::uint64_t seed, std::size_t draw,
                                 const std::vector<UncertaintyBand>& bands);

/// `p` with every use of each band's curve scaled by its factor (factors in the bands' order).
ScenarioParams with_factors(const ScenarioParams& p, const std::vector<UncertaintyBand>& bands,
                            const std::vector<double>& factors);

/// Runs `draws` draws, one after the other, each with the scenario's seed and replications (on
/// up to `threads` threads; the result does not depend on it), and condenses them.
UncertaintySummary run_uncertainty(const ScenarioParams& p, int draws, int threads);

}  // namespace servesim
