// Fuzz target: one Raft node (id 1 of voters {1, 2, 3} plus learner 4) fed an arbitrary
// sequence of peer messages, timer events, storage completions, client proposals, campaigns and
// crash-restarts. Peers are not trusted: every message is whatever the input says. After every
// event the node's own safety invariants are checked:
//  - the term never decreases; a vote, once given in a term, never changes in that term;
//  - the durable term and vote never regress (across restarts too);
//  - commit_index <= last_index, applied <= commit, commit never decreases (while up);
//  - an entry once committed is never truncated or replaced;
//  - entries are applied in index order, each the entry committed at its index;
//  - a leader of term T holds a durable vote for itself in T and granted votes from a quorum;
//  - a granted vote and a successful AppendEntries answer leave only once durable;
//  - and the node never fails one of its own SYNOD_ASSERTs (which aborts: libFuzzer reports it).
// The first input byte picks a build: all features on with deferred storage, pre-vote only with
// deferred storage, or no features with a fixed-capacity log (which fills up).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "fuzz.hpp"
#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/storage/deferred.hpp"
#include "synod/storage/static.hpp"

namespace {

using namespace synod;
using value_t = std::uint32_t;
using message = raft::message<value_t>;
using entry_t = entry<value_t>;

constexpr std::uint32_t members = 4;  // voters 1..3, learner 4
constexpr std::size_t events_max = 400;
constexpr std::size_t log_max = 256;  // proposals stop here: keeps every input fast

struct harness_state;

struct recorded {
    node_id to;
    message m;
};

/// Records what the node sends; the checks run after each event.
class recording_transport {
public:
    explicit recording_transport(std::vector<recorded>& out) noexcept : out_{&out} {}
    void send(node_id to, const message& m) { out_->push_back({to, m}); }

private:
    std::vector<recorded>* out_;
};

/// Checks that entries arrive in order and are the committed ones (the harness compares).
struct applied_log {
    std::vector<entry_t>* applied;
    void apply(const entry_t& e) { applied->push_back(e); }
};

/// The fixed-capacity log lives outside the node, as static.hpp asks.
using small_log = storage::static_log<value_t, 24>;

template <class Storage, raft::features Features>
struct traits_of {
    using payload = value_t;
    using storage = Storage;
    using transport = recording_transport;
    using timer = fuzz::manual_timer;
    using random = xoshiro256;
    using state_machine = applied_log;
    static constexpr raft::features features = Features;
    static constexpr std::size_t inflight_capacity = 4;
    static constexpr std::size_t batch_capacity = 8;
    static constexpr std::size_t outbox_capacity = 8;
};

/// The durable view of each storage kind.
template <class S>
struct durable_view;
template <>
struct durable_view<storage::deferred_log<value_t>> {
    static hard_state hs(const storage::deferred_log<value_t>& s) {
        return s.durable_state().hard_state();
    }
    static log_index last(const storage::deferred_log<value_t>& s) {
        return s.durable_state().last_index();
    }
    static void complete(storage::deferred_log<value_t>& s, std::uint64_t how) {
        if (how % 3 == 0) {
            s.complete_all();
        } else {
            const std::uint64_t issued = s.issued().value;
            const std::uint64_t durable = s.durable().value;
            s.complete_through(write_id{durable + (issued - durable) * (how % 3) / 3});
        }
    }
    static void compact(storage::deferred_log<value_t>&, log_index) {}
    static void crash(storage::deferred_log<value_t>& s, std::uint64_t how) {
        if (how % 2) {
            s.crash_torn(how % 4);
        } else {
            s.crash();
        }
    }
};
template <>
struct durable_view<storage::log_ref<small_log>> {
    static hard_state hs(const storage::log_ref<small_log>& s) { return s.hard_state(); }
    static log_index last(const storage::log_ref<small_log>& s) { return s.last_index(); }
    static void complete(storage::log_ref<small_log>&, std::uint64_t) {}
    static void crash(storage::log_ref<small_log>&, std::uint64_t) {}
    /// The owner frees slots it has applied (as after a snapshot).
    static void compact(storage::log_ref<small_log>& s, log_index applied) {
        if (s.first_index() <= applied) s.compact_through(applied, s.term_at(applied));
    }
};

template <class Storage, raft::features Features>
class harness {
    using traits = traits_of<Storage, Features>;
    using node_type = raft::node<traits>;
    using view = durable_view<Storage>;

public:
    explicit harness(Storage storage) : storage_{std::move(storage)} { start(); }

    void run(fuzz::reader& in) {
        const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
        for (std::size_t n = 0; n < events_max && !in.done(); ++n) {
            sent_.clear();
            step(in);
            if (trace) print(n);
            check_sent();
            check_state();
        }
    }

private:
    /// FUZZ_TRACE=1: one line per event, to read a finding.
    void print(std::size_t n) {
        node_type& nd = node();
        const hard_state hs = view::hs(nd.storage());
        std::fprintf(stderr,
                     "%3zu: event %d -> %s term %llu vote %u commit %llu last %llu durable(term %llu "
                     "vote %u last %llu) sent %zu\n",
                     n, last_event_, raft::to_string(nd.role()),
                     static_cast<unsigned long long>(nd.term().value), nd.vote().value,
                     static_cast<unsigned long long>(nd.commit_index().value),
                     static_cast<unsigned long long>(nd.last_index().value),
                     static_cast<unsigned long long>(hs.term.value), hs.vote.value,
                     static_cast<unsigned long long>(view::last(nd.storage()).value), sent_.size());
    }

    // ---- events -------------------------------------------------------------------------

    void step(fuzz::reader& in) {
        node_type& nd = node();
        const term_t t = nd.term();
        const log_index last = nd.last_index();
        last_event_ = static_cast<int>(in.range(0, 11));
        switch (last_event_) {
            case 0: {
                const raft::vote_request m{in.term_near(t), in.node(members), in.index_near(last),
                                     in.term_near(t), in.flag(), in.flag()};
                nd.on(message{m});
                break;
            }
            case 1: {
                const raft::vote_response m{in.term_near(t), in.node(members), in.flag(),
                                            in.flag()};
                if (m.granted && !m.pre_vote) {
                    grants_.push_back(m);
                    // A vote nobody asked for: a real voter answers only a request, and the node
                    // sends one only once its term and vote are durable. A lying voter can
                    // break any Raft guarantee; below we only skip what it voids.
                    const bool asked = std::find(asked_.begin(), asked_.end(),
                                                 std::pair{m.term, m.from}) != asked_.end();
                    if (!asked && !(m.from == node_id{1})) unasked_grant_term_ = m.term;
                }
                nd.on(message{m});
                break;
            }
            case 2:
            case 3: {
                // AppendEntries: mostly well formed (consecutive indices, terms <= the message's
                // term, prev near our log), sometimes not.
                raft::append_entries<value_t> m{};
                m.term = in.term_near(t);
                m.from = in.node(members);
                m.prev_index = in.index_near(in.flag() ? last : nd.commit_index());
                m.prev_term = in.flag() && m.prev_index <= last &&
                                      nd.storage().first_index().prev() <= m.prev_index
                                  ? nd.storage().term_at(m.prev_index)
                                  : in.term_near(t);
                m.commit = in.index_near(m.prev_index);
                m.heartbeat = in.flag();
                const std::size_t count = in.range(0, 4);
                const bool wild = in.range(0, 15) == 0;
                entries_.clear();
                term_t et = m.prev_term;
                for (std::size_t k = 0; k < count; ++k) {
                    if (in.flag()) et = std::min(m.term, term_t{et.value + in.range(0, 1)});
                    entry_t e{et, m.prev_index + (k + 1), entry_kind::normal,
                              static_cast<value_t>(in.byte())};
                    if (wild) {
                        e.term = in.term_near(t);
                        e.index = in.index_near(e.index);
                    }
                    entries_.push_back(e);
                }
                m.entries = entries_;
                nd.on(message{m});
                break;
            }
            case 4: {
                raft::append_response m{};
                m.term = in.term_near(t);
                m.from = in.node(members);
                m.success = in.flag();
                m.index = in.index_near(last);
                m.hint_index = in.index_near(m.index);
                m.hint_term = in.term_near(t);
                m.last_index = in.index_near(last);
                m.heartbeat = in.flag();
                nd.on(message{m});
                break;
            }
            case 5: nd.on(message{raft::timeout_now{in.term_near(t), in.node(members)}}); break;
            case 6:
            case 7: {
                // Time passes (to the node's deadline, or a little), then the timer fires.
                if (in.flag() && clock_.deadline != time_never) {
                    clock_.now = std::max(clock_.now, clock_.deadline);
                } else {
                    clock_.now = clock_.now + in.range(0, 12);
                }
                nd.on(timeout{});
                break;
            }
            case 8: {
                view::complete(nd.storage(), in.byte());
                nd.on(writes_durable{});
                break;
            }
            case 9: {
                if (nd.last_index().value < log_max) {
                    const auto r = nd.propose(static_cast<value_t>(in.byte()));
                    if (r) FUZZ_CHECK(nd.is_leader());
                }
                break;
            }
            case 10: nd.campaign(); break;
            case 11: {
                const auto what = in.range(0, 3);
                if (what == 0) restart(in.byte());
                if (what == 1) view::compact(nd.storage(), nd.applied_index());
                break;
            }
        }
    }

    // ---- node lifetime ------------------------------------------------------------------

    node_type& node() { return *node_; }

    void start() {
        configuration c;
        c.voters = node_set{1u, 2u, 3u};
        c.learners = node_set{4u};
        raft::settings s;
        s.election_timeout_ticks = 10;
        s.heartbeat_interval_ticks = 2;
        s.entries_per_message_max = 4;
        s.inflight_messages_max = 4;
        applied_.clear();
        applied_checked_ = 0;
        applied_base_ = storage_.first_index().prev();  // compacted entries are not replayed
        node_.emplace(node_id{1}, c, s, storage_, recording_transport{sent_},
                      fuzz::manual_timer{clock_}, xoshiro256{7}, applied_log{&applied_});
        baseline();
    }

    /// A crash: unsynced writes are lost and the node restarts from what storage holds.
    void restart(std::uint8_t how) {
        Storage s = node().storage();
        view::crash(s, how);
        const hard_state before = durable_hs_;
        const hard_state now = view::hs(s);
        FUZZ_CHECK(before.term <= now.term);
        if (before.term == now.term && before.vote) FUZZ_CHECK(now.vote == before.vote);
        storage_ = std::move(s);
        node_.reset();
        start();
    }

    // ---- checks -------------------------------------------------------------------------

    void baseline() {
        node_type& nd = node();
        term_ = nd.term();
        vote_ = nd.vote();
        commit_ = nd.commit_index();
        durable_hs_ = view::hs(nd.storage());
        // What survived of the committed entries must still be what was committed.
        const log_index keep = std::min({commit_, nd.last_index(), log_index{committed_.size()}});
        for (std::size_t i = nd.storage().first_index().value; i <= keep.value; ++i)
            FUZZ_CHECK(nd.storage().term_at(log_index{i}) == committed_[i - 1].term);
        committed_.resize(keep.value);
        record_committed();
    }

    void record_committed() {
        node_type& nd = node();
        while (committed_.size() < nd.commit_index().value) {
            const log_index i{committed_.size() + 1};
            committed_.push_back(nd.storage().entries(i, i)[0]);
        }
    }

    void check_state() {
        node_type& nd = node();
        // Terms only grow; one vote per term.
        FUZZ_CHECK(term_ <= nd.term());
        if (term_ == nd.term() && vote_) FUZZ_CHECK(nd.vote() == vote_);
        term_ = nd.term();
        vote_ = nd.vote();
        const hard_state hs = view::hs(nd.storage());
        FUZZ_CHECK(durable_hs_.term <= hs.term);
        if (durable_hs_.term == hs.term && durable_hs_.vote) FUZZ_CHECK(hs.vote == durable_hs_.vote);
        durable_hs_ = hs;
        FUZZ_CHECK(hs.term <= nd.term());

        // Commit and apply.
        FUZZ_CHECK(commit_ <= nd.commit_index());
        commit_ = nd.commit_index();
        FUZZ_CHECK(nd.commit_index() <= nd.last_index());
        FUZZ_CHECK(nd.applied_index() <= nd.commit_index());
        FUZZ_CHECK(nd.applied_index() == nd.commit_index());  // storage applies inline
        // Committed entries stay as they were: the newest few after every event, all of them
        // every 16 events (a change stays until rewritten, so it is still caught; this keeps an
        // input's cost linear in its length).
        std::size_t from = nd.storage().first_index().value;
        if (++events_ % 16 != 0 && committed_.size() > 8) from = std::max(from, committed_.size() - 8);
        for (std::size_t i = from; i <= committed_.size(); ++i)
            FUZZ_CHECK(nd.storage().entries(log_index{i}, log_index{i})[0] == committed_[i - 1]);
        record_committed();
        FUZZ_CHECK(applied_base_ + applied_.size() == nd.applied_index());
        for (std::size_t i = applied_checked_; i < applied_.size(); ++i) {
            FUZZ_CHECK(applied_[i].index == applied_base_ + (i + 1));
            FUZZ_CHECK(applied_[i] == committed_[applied_base_.value + i]);
        }
        applied_checked_ = applied_.size();

        // A leader won its term: its own durable vote and a quorum of grants in that term.
        if (nd.is_leader()) {
            FUZZ_CHECK(nd.leader() == node_id{1});
            FUZZ_CHECK(nd.vote() == node_id{1});
            if (leader_term_ != nd.term()) {
                if (unasked_grant_term_ != nd.term()) {
                    FUZZ_CHECK(hs.term == nd.term());
                    FUZZ_CHECK(hs.vote == node_id{1});
                }
                bool voted[members + 1] = {};
                std::size_t votes = 1;
                for (const raft::vote_response& g : grants_) {
                    if (g.term != nd.term() || g.from.value < 2 || g.from.value > 3) continue;
                    if (!voted[g.from.value]) ++votes;
                    voted[g.from.value] = true;
                }
                FUZZ_CHECK(votes >= 2);
                leader_term_ = nd.term();
                leader_log_.clear();
            }
            // A leader never overwrites or removes its own log (Raft's Leader Append-Only).
            for (std::size_t i = 0; i < leader_log_.size(); ++i) {
                const log_index at = leader_log_[i].index;
                FUZZ_CHECK(at <= nd.last_index());
                FUZZ_CHECK(nd.storage().entries(at, at)[0] == leader_log_[i]);
            }
            leader_log_.clear();
            const log_index from = std::max(nd.commit_index(), nd.last_index() - std::min<std::uint64_t>(nd.last_index().value, 8));
            for (log_index i = from.next(); i <= nd.last_index(); ++i)
                leader_log_.push_back(nd.storage().entries(i, i)[0]);
        } else {
            leader_term_ = term_t{0};
        }
    }

    /// Persistence before acknowledgement, for what left during the last event.
    void check_sent() {
        node_type& nd = node();
        for (const recorded& r : sent_) {
            if (const auto* q = std::get_if<raft::vote_request>(&r.m)) {
                // Persistence before a request too: the candidate's own vote is durable.
                if (!q->pre_vote) {
                    const hard_state hs = view::hs(nd.storage());
                    FUZZ_CHECK(q->term <= hs.term);
                    if (hs.term == q->term) FUZZ_CHECK(hs.vote == node_id{1});
                    asked_.push_back({q->term, r.to});
                }
            } else if (const auto* v = std::get_if<raft::vote_response>(&r.m)) {
                if (v->granted && !v->pre_vote) {
                    // The vote is durable: the term it was given in, or a later one, is on disk.
                    const hard_state hs = view::hs(nd.storage());
                    FUZZ_CHECK(v->term <= hs.term);
                    if (hs.term == v->term) FUZZ_CHECK(hs.vote == r.to);
                }
            } else if (const auto* a = std::get_if<raft::append_response>(&r.m)) {
                FUZZ_CHECK(a->from == node_id{1});
                if (a->success) {
                    // What it acknowledges is on disk, unless a later write cut it: a leader of a
                    // later term (the acknowledgement is stale then), or a conflicting
                    // AppendEntries of the same term (a peer's lie the node cannot tell from
                    // the truth).
                    if (view::last(nd.storage()) < a->index)
                        FUZZ_CHECK(a->term < view::hs(nd.storage()).term || byzantine_);
                    if (nd.last_index() < a->index) FUZZ_CHECK(a->term < nd.term() || byzantine_);
                }
            }
        }
        // A peer that sent two conflicting logs in one term: it is not a Raft leader.
        if (!nd.is_leader() && nd.last_index() < last_seen_ && nd.term() == last_seen_term_)
            byzantine_ = true;
        last_seen_ = nd.last_index();
        last_seen_term_ = nd.term();
    }

    Storage storage_;
    fuzz::clock clock_;
    std::vector<recorded> sent_;
    std::vector<entry_t> applied_;
    log_index applied_base_{};
    std::size_t applied_checked_ = 0;
    std::size_t events_ = 0;
    std::vector<entry_t> entries_;
    std::optional<node_type> node_;

    term_t term_{};
    node_id vote_{};
    log_index commit_{};
    hard_state durable_hs_{};
    std::vector<entry_t> committed_;
    std::vector<raft::vote_response> grants_;
    std::vector<std::pair<term_t, node_id>> asked_;
    term_t unasked_grant_term_{};
    term_t leader_term_{};
    std::vector<entry_t> leader_log_;
    bool byzantine_ = false;
    int last_event_ = 0;
    log_index last_seen_{};
    term_t last_seen_term_{};
};

constexpr raft::features all_features{.pre_vote = true, .check_quorum = true,
                                      .leader_transfer = true};
constexpr raft::features pre_vote_only{.pre_vote = true};
constexpr raft::features no_features{};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    fuzz::reader in{data + 1, size - 1};
    switch (data[0] % 3) {
        case 0: {
            harness<storage::deferred_log<value_t>, all_features> h{{}};
            h.run(in);
            break;
        }
        case 1: {
            harness<storage::deferred_log<value_t>, pre_vote_only> h{{}};
            h.run(in);
            break;
        }
        default: {
            static small_log log;  // too large to build per input on the stack
            log = small_log{};
            harness<storage::log_ref<small_log>, no_features> h{storage::log_ref<small_log>{log}};
            h.run(in);
            break;
        }
    }
    return 0;
}
