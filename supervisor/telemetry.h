// What a submission tells the network about this node (NodeTelemetry), in the
// units the deployed network reads: GFLOP/s, and MiB times 1000.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shared/codec.h"

namespace supervisor {

// A short floating-point loop on one core times the cores: an estimate, measured
// once at start-up (about 20 ms), not a benchmark.
double estimate_gflops(unsigned cores);

shared::NodeTelemetry make_telemetry(double gflops, std::uint64_t memory_used_bytes, std::uint64_t memory_capacity_bytes,
                                     const std::optional<std::string>& location);

}  // namespace supervisor
