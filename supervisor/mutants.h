// Deliberate faults for the simulator to find (tests/sim, scripts/mutants). Only
// the simulator's mutant build defines PROVENODE_MUTANTS; everywhere else each
// MUTANT(name) is the constant false and the compiler removes the branch.
#pragma once

#ifdef PROVENODE_MUTANTS
#include <string_view>
#include <vector>

namespace supervisor::mutants {

enum class Mutant {
    None,
    CommitAfterSend,         // the Assign goes out before the ledger records it (double dispatch)
    NoOwnerCheck,            // a result is taken from whoever sends it
    VerdictsForgotten,       // a terminal verdict is not remembered (the relist brings it back)
    StaleWriteRequeues,      // a spool write done after the answer queues the proof again
    FailedWriteDropped,      // a failed spool write is never tried again
    DrainStrandsQueued,      // a task that arrives while draining stays queued forever
    RetryAfterIgnoredSubmit, // submissions go on inside a Retry-After window
    RetryAfterIgnoredFetch,  // fetches go on inside a Retry-After window
    StallKillsWorkers,       // liveness is judged before the socket is read after a stalled loop
    AdmissionForgetsThisTurn,// admission does not count tasks admitted earlier in the same turn
    LostResultIgnored,       // a busy worker whose heartbeat names no task stays busy to its deadline
    LateProofDropped,        // a proof from a worker being stopped is thrown away
    HealthyDeathsBackOff,    // a worker killed mid-task is replaced only after a backoff
    AdmissionIgnoresIdle,    // memory held by idle workers is not counted
};

inline Mutant active = Mutant::None;
// The mutant named `name` (as in the enum), or None.
Mutant from_name(std::string_view name);
std::string_view name_of(Mutant mutant);
// Every mutant but None, in the enum's order.
std::vector<Mutant> all();

}  // namespace supervisor::mutants

#define MUTANT(name) (::supervisor::mutants::active == ::supervisor::mutants::Mutant::name)
#else
#define MUTANT(name) false
#endif
