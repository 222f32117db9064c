// The names of the simulator's mutants (supervisor/mutants.h), for --mutant.
#include "supervisor/mutants.h"

#include <array>
#include <utility>

namespace supervisor::mutants {

namespace {
using M = Mutant;
constexpr std::array<std::pair<Mutant, std::string_view>, 14> kNames{{
    {M::CommitAfterSend, "CommitAfterSend"},
    {M::NoOwnerCheck, "NoOwnerCheck"},
    {M::VerdictsForgotten, "VerdictsForgotten"},
    {M::StaleWriteRequeues, "StaleWriteRequeues"},
    {M::FailedWriteDropped, "FailedWriteDropped"},
    {M::DrainStrandsQueued, "DrainStrandsQueued"},
    {M::RetryAfterIgnoredSubmit, "RetryAfterIgnoredSubmit"},
    {M::RetryAfterIgnoredFetch, "RetryAfterIgnoredFetch"},
    {M::StallKillsWorkers, "StallKillsWorkers"},
    {M::AdmissionForgetsThisTurn, "AdmissionForgetsThisTurn"},
    {M::LostResultIgnored, "LostResultIgnored"},
    {M::LateProofDropped, "LateProofDropped"},
    {M::HealthyDeathsBackOff, "HealthyDeathsBackOff"},
    {M::AdmissionIgnoresIdle, "AdmissionIgnoresIdle"},
}};
}  // namespace

Mutant from_name(std::string_view name) {
    for (const auto& [mutant, n] : kNames) {
        if (n == name) return mutant;
    }
    return Mutant::None;
}

std::vector<Mutant> all() {
    std::vector<Mutant> mutants;
    for (const auto& [mutant, n] : kNames) mutants.push_back(mutant);
    return mutants;
}

std::string_view name_of(Mutant mutant) {
    for (const auto& [m, n] : kNames) {
        if (m == mutant) return n;
    }
    return "None";
}

}  // namespace supervisor::mutants
