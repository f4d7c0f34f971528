#ifndef SYNOD_RUNTIME_SIM_FAULTS_HPP
#define SYNOD_RUNTIME_SIM_FAULTS_HPP

/// \file
/// The simulator's fault model (../RELIABILITY.md 2.1). A profile gives ranges; each seed draws
/// its own rates inside them (swarm testing: some runs are calm, some brutal, so different bugs
/// surface in different seeds).

#include <cstdint>
#include <string_view>

#include "synod/core/random.hpp"

namespace synod::runtime::sim {

/// A closed range [lo, hi] of a rate in parts per million, or of a duration in ticks.
struct range {
    std::uint64_t lo = 0;
    std::uint64_t hi = 0;
    std::uint64_t draw(xoshiro256& r) const noexcept { return uniform(r, lo, hi); }
};

/// Ranges for every fault. Rates are per million (per message, or per tick of virtual time
/// for crashes, partitions and pauses). Times are in ticks (one tick = one millisecond).
struct fault_profile {
    range loss_ppm;             ///< a message is dropped
    range duplicate_ppm;        ///< a message is delivered twice
    range replay_ppm;           ///< an old message is delivered again
    range delay_ticks{1, 5};    ///< base one-way delay
    range tail_ppm;             ///< a message takes the heavy-tailed path (x10 to x50 delay)
    range partition_ppm;        ///< a partition starts (per tick)
    range partition_ticks{200, 2000};
    range crash_ppm;            ///< a node crashes (per tick)
    range power_loss_ppm;       ///< every node crashes at once (per tick)
    /// A leader crashes right after it advanced its commit index, before what it sent in that
    /// step leaves the process (per commit advance): the window where commit rules matter.
    range commit_crash_ppm;
    /// A node crashes right after it won an election, before its first messages leave
    /// (per election won): leaves uncommitted entries of a newer term behind.
    range election_crash_ppm;
    range down_ticks{50, 1000};
    range torn_ppm;             ///< a crash tears the write in flight
    range pause_ppm;            ///< a node pauses (per tick)
    range pause_ticks{10, 400};
    range fsync_ticks{0, 3};    ///< storage write latency
    range skew_ppm;             ///< clock-rate skew, +/- this much
    std::uint64_t fault_ticks = 20'000;  ///< how long faults last; then the cluster heals
    /// Clocks at the extremes of the skew range, adversarially: whenever a node becomes leader
    /// its clock slows down and every other clock runs fast (the arrangement in which a lease
    /// outliving its bound shows), instead of each node keeping a skew of its own.
    bool one_slow_clock = false;
    /// Membership churn (protocols built with membership changes): the cluster starts with
    /// `initial_voters` of its nodes as voters (0: all) and the others outside it, and about
    /// every `churn_ticks` the leader is asked to add, promote, demote or remove nodes.
    std::uint64_t churn_ticks = 0;
    std::size_t initial_voters = 0;

    /// The named profiles: none, default, lossy, partitions, crashes, clocks, brutal, churn.
    static bool named(std::string_view name, fault_profile& out) noexcept {
        fault_profile p;
        if (name == "none") {
            p.fault_ticks = 5'000;
        } else if (name == "default") {
            p.loss_ppm = {0, 50'000};
            p.duplicate_ppm = {0, 20'000};
            p.replay_ppm = {0, 5'000};
            p.tail_ppm = {0, 20'000};
            p.partition_ppm = {0, 300};
            p.crash_ppm = {0, 200};
            p.power_loss_ppm = {0, 20};
            p.commit_crash_ppm = {0, 5'000};
            p.election_crash_ppm = {0, 20'000};
            p.torn_ppm = {0, 500'000};
            p.pause_ppm = {0, 200};
            p.skew_ppm = {0, 20'000};
        } else if (name == "lossy") {
            p.loss_ppm = {100'000, 300'000};
            p.duplicate_ppm = {50'000, 100'000};
            p.replay_ppm = {5'000, 20'000};
            p.tail_ppm = {20'000, 100'000};
        } else if (name == "partitions") {
            p.partition_ppm = {300, 1'500};
            p.partition_ticks = {100, 3'000};
            p.loss_ppm = {0, 10'000};
        } else if (name == "crashes") {
            p.crash_ppm = {300, 1'500};
            p.power_loss_ppm = {20, 200};
            p.commit_crash_ppm = {50'000, 200'000};
            p.election_crash_ppm = {200'000, 500'000};
            p.torn_ppm = {200'000, 1'000'000};
            p.fsync_ticks = {0, 40};
            p.pause_ppm = {0, 500};
        } else if (name == "clocks") {
            // Clocks far apart (the lease bound is derived from this skew) and leaders cut
            // off often: what lease reads must survive.
            // Clocks at the edge of the drift bound, and leaders cut off often: what lease
            // reads must survive.
            p.skew_ppm = {250'000, 300'000};
            p.one_slow_clock = true;
            p.partition_ppm = {500, 1'500};
            p.partition_ticks = {100, 3'000};
            p.pause_ppm = {0, 300};
            p.loss_ppm = {0, 20'000};
        } else if (name == "brutal") {
            p.loss_ppm = {50'000, 200'000};
            p.duplicate_ppm = {20'000, 80'000};
            p.replay_ppm = {5'000, 20'000};
            p.tail_ppm = {20'000, 80'000};
            p.partition_ppm = {300, 1'500};
            p.crash_ppm = {300, 1'500};
            p.power_loss_ppm = {0, 100};
            p.commit_crash_ppm = {0, 50'000};
            p.election_crash_ppm = {0, 200'000};
            p.torn_ppm = {200'000, 1'000'000};
            p.pause_ppm = {100, 800};
            p.fsync_ticks = {0, 20};
            p.skew_ppm = {0, 50'000};
        } else if (name == "churn") {
            // Members come and go while nodes crash and the network partitions and loses.
            p.churn_ticks = 300;
            p.initial_voters = 3;
            p.loss_ppm = {0, 30'000};
            p.duplicate_ppm = {0, 10'000};
            p.tail_ppm = {0, 20'000};
            p.partition_ppm = {0, 400};
            p.crash_ppm = {0, 400};
            p.commit_crash_ppm = {0, 20'000};
            p.election_crash_ppm = {0, 50'000};
            p.torn_ppm = {0, 500'000};
            p.pause_ppm = {0, 200};
            p.fsync_ticks = {0, 10};
        } else {
            return false;
        }
        out = p;
        return true;
    }
};

/// The rates one seed runs with, drawn from a profile.
struct fault_rates {
    std::uint64_t loss_ppm, duplicate_ppm, replay_ppm, tail_ppm;
    std::uint64_t partition_ppm, crash_ppm, power_loss_ppm, torn_ppm, pause_ppm, skew_ppm;
    std::uint64_t commit_crash_ppm, election_crash_ppm;

    static fault_rates draw(const fault_profile& p, xoshiro256& r) noexcept {
        return {p.loss_ppm.draw(r),      p.duplicate_ppm.draw(r), p.replay_ppm.draw(r),
                p.tail_ppm.draw(r),      p.partition_ppm.draw(r), p.crash_ppm.draw(r),
                p.power_loss_ppm.draw(r), p.torn_ppm.draw(r),     p.pause_ppm.draw(r),
                p.skew_ppm.draw(r),      p.commit_crash_ppm.draw(r),
                p.election_crash_ppm.draw(r)};
    }
};

}  // namespace synod::runtime::sim

#endif
