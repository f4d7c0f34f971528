// Fuzz target: one Multi-Paxos replica (node 1 of voters {1, 2, 3}, learner 4) fed an arbitrary
// sequence of peer messages, timer events, storage completions, proposals, campaigns and
// crash-restarts. After every event:
//  - the promised ballot never decreases, in memory and on disk (restarts included);
//  - commit_index <= last slot held, applied == commit, commit never decreases while up;
//  - a slot once known chosen keeps its value (kind and payload) in the log;
//  - slots are applied in order, each with its chosen value;
//  - a leader leads its own ballot, won with promises from a phase-1 quorum;
//  - a promise or accepted reply leaves only once what it reports is durable (DESIGN 3);
//  - and the replica never fails one of its own SYNOD_ASSERTs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "fuzz.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/storage/paxos_memory.hpp"
#include "synod/storage/static.hpp"

namespace {

using namespace synod;
using value_t = std::uint32_t;
using message = multi_paxos::message<value_t>;
using pvalue_t = pvalue<value_t>;
using entry_t = entry<value_t>;

constexpr std::uint32_t members = 4;
constexpr std::size_t events_max = 400;
constexpr std::uint64_t log_max = 256;

struct recorded {
    node_id to;
    message m;
};

class recording_transport {
public:
    explicit recording_transport(std::vector<recorded>& out) noexcept : out_{&out} {}
    void send(node_id to, const message& m) { out_->push_back({to, m}); }

private:
    std::vector<recorded>* out_;
};

struct applied_log {
    std::vector<entry_t>* applied;
    void apply(const entry_t& e) { applied->push_back(e); }
};

/// Writes that complete when the input says, or a fixed-capacity log small enough to fill up.
using deferred_log = storage::deferred_paxos_log<value_t>;
using small_log = storage::static_paxos_log<value_t, 16>;

template <class Log>
struct traits {
    using payload_type = value_t;
    using storage = Log;
    using transport = recording_transport;
    using timer = fuzz::manual_timer;
    using random = xoshiro256;
    using state_machine = applied_log;
    using quorum = majority;
};

/// What a restart would read back.
template <class Log>
const auto& disk_of(const Log& s) {
    if constexpr (requires { s.durable_state(); }) {
        return s.durable_state();
    } else {
        return s;  // durable when written
    }
}

bool same_value(const entry_t& a, const entry_t& b) {
    return a.kind == b.kind && (a.kind == entry_kind::noop || a.payload == b.payload);
}

template <class Log>
class harness {
    using log_type = Log;
    using replica_type = multi_paxos::replica<traits<Log>>;

public:
    harness() { start(log_type{}); }

    void run(fuzz::reader& in) {
        const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
        for (std::size_t n = 0; n < events_max && !in.done(); ++n) {
            sent_.clear();
            step(in);
            if (trace) print(n);
            check();
        }
    }

private:
    void print(std::size_t n) {
        replica_type& r = *replica_;
        std::fprintf(stderr,
                     "%3zu: event %d -> role %d ballot %llu.%u promised %llu.%u commit %llu last %llu "
                     "sent %zu\n",
                     n, last_event_, static_cast<int>(r.current_role()),
                     static_cast<unsigned long long>(r.current_ballot().round),
                     r.current_ballot().proposer.value,
                     static_cast<unsigned long long>(r.storage().promised().round),
                     r.storage().promised().proposer.value,
                     static_cast<unsigned long long>(r.commit_index().value),
                     static_cast<unsigned long long>(r.storage().last_index().value), sent_.size());
    }

    void start(log_type s) {
        configuration c;
        c.voters = node_set{1u, 2u, 3u};
        c.learners = node_set{4u};
        multi_paxos::settings st;
        st.election_timeout_ticks = 10;
        st.heartbeat_ticks = 2;
        st.window_slots = 8;
        st.batch_entries_max = 4;
        st.inflight_batches_max = 2;
        applied_.clear();
        applied_checked_ = 0;
        replica_.emplace(node_id{1}, c, st, std::move(s), recording_transport{sent_},
                         fuzz::manual_timer{clock_}, xoshiro256{7}, applied_log{&applied_});
        commit_ = replica_->commit_index();
        promises_.clear();
    }

    /// pvalues for a batch: consecutive slots from `first` under `number`, mostly; sometimes
    /// anything (holes, repeats, slots out of order, foreign ballots).
    std::span<const pvalue_t> batch(fuzz::reader& in, log_index first, ballot number) {
        pvalues_.clear();
        const std::size_t count = in.range(0, 4);
        const bool wild = in.range(0, 15) == 0;
        for (std::size_t k = 0; k < count; ++k) {
            pvalue_t v{};
            v.number = number;
            v.value.index = first + k;
            v.value.term = term_t{number.round};
            v.value.kind = in.range(0, 3) == 0 ? entry_kind::noop : entry_kind::normal;
            v.value.payload = in.byte() % 8;
            if (wild) {
                v.number = in.ballot_near(number, members);
                v.value.index = in.index_near(v.value.index);
            }
            pvalues_.push_back(v);
        }
        return pvalues_;
    }

    void step(fuzz::reader& in) {
        replica_type& r = *replica_;
        const ballot b = std::max(r.current_ballot(), r.storage().promised());
        const log_index last = r.storage().last_index();
        const log_index commit = r.commit_index();
        last_event_ = static_cast<int>(in.range(0, 11));
        switch (last_event_) {
            case 0:
                r.on(message{multi_paxos::prepare{in.node(members), in.ballot_near(b, members),
                                                  in.index_near(commit.next())}});
                break;
            case 1: {
                multi_paxos::promise<value_t> m{};
                m.from = in.node(members);
                m.promised = in.flag() ? r.current_ballot() : in.ballot_near(b, members);
                m.first = in.flag() ? commit.next() : in.index_near(commit.next());
                m.commit = in.index_near(commit);
                m.compacted = in.flag() ? log_index{0} : in.index_near(log_index{0});
                m.accepted = batch(in, in.index_near(m.first), in.ballot_near(b, members));
                if (m.promised == r.current_ballot() && m.from.value >= 2 && m.from.value <= 3)
                    promises_.push_back(m.from);
                r.on(message{m});
                break;
            }
            case 2:
            case 3: {
                multi_paxos::accept<value_t> m{};
                m.from = in.node(members);
                m.number = in.flag() ? b : in.ballot_near(b, members);
                m.commit = in.index_near(in.flag() ? last : commit);
                m.entries = batch(in, in.index_near(in.flag() ? last.next() : commit.next()),
                                  m.number);
                r.on(message{m});
                break;
            }
            case 4: {
                multi_paxos::accepted m{};
                m.from = in.node(members);
                m.number = in.flag() ? r.current_ballot() : in.ballot_near(b, members);
                m.first = in.index_near(commit.next());
                m.last = in.index_near(m.first);
                m.commit = in.index_near(commit);
                r.on(message{m});
                break;
            }
            case 5:
                r.on(message{multi_paxos::reject{in.node(members),
                                                 in.flag() ? r.current_ballot()
                                                           : in.ballot_near(b, members),
                                                 in.ballot_near(b, members)}});
                break;
            case 6:
            case 7:
                if (in.flag() && clock_.deadline != time_never) {
                    clock_.now = std::max(clock_.now, clock_.deadline);
                } else {
                    clock_.now = clock_.now + in.range(0, 12);
                }
                r.on(timeout{});
                break;
            case 8: {
                log_type& s = r.storage();
                if constexpr (!requires { s.complete_all(); }) {
                    // durable when written
                } else if (in.flag()) {
                    s.complete_all();
                } else {
                    const std::uint64_t d = s.durable().value;
                    s.complete_through(write_id{d + in.range(0, s.issued().value - d)});
                }
                r.on(writes_durable{});
                break;
            }
            case 9:
                if (last.value < log_max) {
                    const auto res = r.propose(in.byte() % 8);
                    if (res) FUZZ_CHECK(r.is_leader());
                }
                break;
            case 10: (void)r.campaign(); break;
            case 11:
                if (in.range(0, 3) == 0) {
                    log_type s = r.storage();
                    if constexpr (requires { s.crash(); }) s.crash();
                    replica_.reset();
                    start(std::move(s));
                    restarted_ = true;
                    // Multi-Paxos keeps no commit index on disk: a restarted replica learns again
                    // which slots are chosen, and only a lying leader could tell it otherwise
                    // (nothing a single replica can detect). Judge it afresh.
                    chosen_.clear();
                }
                break;
        }
    }

    void check() {
        replica_type& r = *replica_;
        const log_type& s = r.storage();
        const auto& disk = disk_of(s);
        FUZZ_CHECK(durable_promised_ <= disk.promised());
        durable_promised_ = disk.promised();
        FUZZ_CHECK(disk.promised() <= s.promised());
        FUZZ_CHECK(promised_ <= s.promised() || restarted_);
        promised_ = s.promised();
        restarted_ = false;

        // Commit and apply.
        FUZZ_CHECK(commit_ <= r.commit_index());
        commit_ = r.commit_index();
        FUZZ_CHECK(r.commit_index() <= s.last_index());
        FUZZ_CHECK(r.applied_index() == r.commit_index());
        // A chosen slot keeps its value; a newly chosen one must agree with what was chosen.
        // All of them every 16 events, the newest few after every event (a change stays until
        // rewritten, so it is still caught; this keeps an input's cost linear in its length).
        log_index from = s.first_index();
        if (++events_ % 16 != 0 && chosen_.size() > 8)
            from = std::max(from, log_index{chosen_.size() - 8});
        for (log_index i = from; i <= r.commit_index(); ++i) {
            const entry_t& e = s.at(i).value;
            FUZZ_CHECK(e.index == i);
            if (chosen_.size() < i.value) chosen_.push_back(e);
            FUZZ_CHECK(same_value(chosen_[i.value - 1], e));
        }
        FUZZ_CHECK(applied_.size() == r.applied_index().value);
        for (std::size_t i = applied_checked_; i < applied_.size(); ++i) {
            FUZZ_CHECK(applied_[i].index == log_index{i + 1});
            FUZZ_CHECK(same_value(applied_[i], chosen_[i]));
        }
        applied_checked_ = applied_.size();

        // A leader leads its own ballot, after a phase-1 quorum promised it.
        if (r.is_leader()) {
            FUZZ_CHECK(r.current_ballot().proposer == node_id{1});
            FUZZ_CHECK(r.leader() == node_id{1});
            if (!(lead_ballot_ == r.current_ballot())) {
                std::size_t others = 0;
                for (std::uint32_t v = 2; v <= 3; ++v)
                    if (std::find(promises_.begin(), promises_.end(), node_id{v}) != promises_.end())
                        ++others;
                const bool self = r.current_ballot() <= disk.promised();
                FUZZ_CHECK(others + (self ? 1 : 0) >= 2);
                lead_ballot_ = r.current_ballot();
            }
        } else {
            lead_ballot_ = ballot{};
        }
        if (r.current_role() != multi_paxos::role::candidate) promises_.clear();

        // Replies leave only once durable.
        for (const recorded& m : sent_) {
            if (const auto* p = std::get_if<multi_paxos::promise<value_t>>(&m.m)) {
                FUZZ_CHECK(p->promised <= disk.promised());
            } else if (const auto* a = std::get_if<multi_paxos::accepted>(&m.m)) {
                // Slots up to the commit index it reports are known chosen: an acceptor
                // acknowledges them without writing them again.
                const log_index from = std::max({a->first, disk.first_index(), a->commit.next()});
                if (from <= a->last) {
                    FUZZ_CHECK(a->number <= disk.promised());
                    FUZZ_CHECK(a->last <= disk.last_index());
                    for (log_index i = from; i <= a->last; ++i)
                        FUZZ_CHECK(a->number <= disk.at(i).number);
                }
            } else if (const auto* j = std::get_if<multi_paxos::reject>(&m.m)) {
                FUZZ_CHECK(j->rejected < j->promised);
            }
        }
    }

    fuzz::clock clock_;
    std::vector<recorded> sent_;
    std::vector<entry_t> applied_;
    std::vector<pvalue_t> pvalues_;
    std::optional<replica_type> replica_;
    int last_event_ = 0;

    ballot durable_promised_{};
    ballot promised_{};
    bool restarted_ = false;
    log_index commit_{};
    std::vector<entry_t> chosen_;
    std::size_t applied_checked_ = 0;
    std::size_t events_ = 0;
    std::vector<node_id> promises_;
    ballot lead_ballot_{};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks the storage.
    fuzz::reader in{data + 1, size - 1};
    if (data[0] % 2 == 0) {
        harness<deferred_log> h;
        h.run(in);
    } else {
        harness<small_log> h;
        h.run(in);
    }
    return 0;
}
