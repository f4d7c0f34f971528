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
// The first input byte picks a build: all features on (membership changes and snapshots too,
// std::string payloads) with deferred storage, pre-vote only with deferred storage, or no
// features with a fixed-capacity log (which fills up).
// The all-features build also injects configuration entries (well-formed encodings of random
// configurations over ids 1..6, and mutated or garbage payloads) in AppendEntries, proposes
// random configuration changes in every membership_change mode, compacts, and installs
// snapshots whose configuration header is well-formed, mutated or garbage. Its extra checks:
//  - config() always validates, and config_index() <= last_index();
//  - a node becomes (pre-)candidate only as a voter of config(), or (thesis 4.2.2) as a voter
//    of the applied configuration while the latest one is uncommitted;
//  - a leader won a quorum of each voter half of its configuration;
//  - a configuration change that succeeds is in effect at once (voters and learners as asked),
//    one that fails changes nothing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "fuzz.hpp"
#include "synod/core/random.hpp"
#include "synod/raft/node.hpp"
#include "synod/storage/deferred.hpp"
#include "synod/storage/static.hpp"

namespace {

using namespace synod;
using value_t = std::uint32_t;  // payload of the builds without membership
using text_t = std::string;     // payload of the all-features build: it carries configurations

constexpr std::uint32_t ids_max = 6;  // configurations name nodes 1..6

constexpr std::uint32_t members = 4;  // voters 1..3, learner 4
constexpr std::size_t events_max = 400;
constexpr std::size_t log_max = 256;  // proposals stop here: keeps every input fast

template <class P>
struct recorded {
    node_id to;
    raft::message<P> m;
};

/// Records what the node sends; the checks run after each event.
template <class P>
class recording_transport {
public:
    explicit recording_transport(std::vector<recorded<P>>& out) noexcept : out_{&out} {}
    void send(node_id to, const raft::message<P>& m) { out_->push_back({to, m}); }

private:
    std::vector<recorded<P>>* out_;
};

/// Checks that entries arrive in order and are the committed ones (the harness compares).
template <class P>
struct applied_log {
    std::vector<entry<P>>* applied;
    int* restores;
    void apply(const entry<P>& e) { applied->push_back(e); }
};

/// The same with snapshots: a restore restarts the applied sequence after the snapshot.
template <class P>
struct snapshot_log : applied_log<P> {
    std::vector<std::byte> snapshot() const {
        return {static_cast<std::byte>(this->applied->size() & 0xff)};
    }
    void restore(std::span<const std::byte>) {
        this->applied->clear();
        ++*this->restores;
    }
};

template <class P>
P payload_of(std::uint8_t b) {
    if constexpr (std::is_same_v<P, text_t>) {
        return text_t(1, static_cast<char>(b));
    } else {
        return static_cast<P>(b);
    }
}

/// The fixed-capacity log lives outside the node, as static.hpp asks.
using small_log = storage::static_log<value_t, 24>;

template <class P, class Storage, raft::features Features>
struct traits_of {
    using payload = P;
    using storage = Storage;
    using transport = recording_transport<P>;
    using timer = fuzz::manual_timer;
    using random = xoshiro256;
    // Snapshots are compiled in with membership (the configuration travels in them).
    using state_machine = std::conditional_t<Features.membership, snapshot_log<P>, applied_log<P>>;
    static constexpr raft::features features = Features;
    static constexpr std::size_t inflight_capacity = 4;
    static constexpr std::size_t batch_capacity = 8;
    static constexpr std::size_t outbox_capacity = 8;
};

/// The durable view of each storage kind.
template <class S>
struct durable_view;
template <class P>
struct durable_view<storage::deferred_log<P>> {
    static hard_state hs(const storage::deferred_log<P>& s) {
        return s.durable_state().hard_state();
    }
    static log_index last(const storage::deferred_log<P>& s) {
        return s.durable_state().last_index();
    }
    static void complete(storage::deferred_log<P>& s, std::uint64_t how) {
        if (how % 3 == 0) {
            s.complete_all();
        } else {
            const std::uint64_t issued = s.issued().value;
            const std::uint64_t durable = s.durable().value;
            s.complete_through(write_id{durable + (issued - durable) * (how % 3) / 3});
        }
    }
    static void compact(storage::deferred_log<P>&, log_index) {}
    static void crash(storage::deferred_log<P>& s, std::uint64_t how) {
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

template <class P, class Storage, raft::features Features>
class harness {
    using traits = traits_of<P, Storage, Features>;
    using node_type = raft::node<traits>;
    using view = durable_view<Storage>;
    using message = raft::message<P>;
    using entry_t = entry<P>;
    static constexpr bool membership = Features.membership;

public:
    explicit harness(Storage storage) : storage_{std::move(storage)} { start(); }

    void run(fuzz::reader& in) {
        const bool trace = std::getenv("FUZZ_TRACE") != nullptr;
        for (std::size_t n = 0; n < events_max && !in.done(); ++n) {
            sent_.clear();
            before_ = observe();
            step(in);
            if (trace) print(n);
            if (restores_ != 0) {
                // A snapshot was installed: the applied sequence starts again after it.
                restores_ = 0;
                applied_base_ = node().storage().first_index().prev();
                applied_checked_ = 0;
            }
            check_sent();
            check_state();
            if constexpr (membership) check_membership();
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
        if constexpr (membership) {
            const configuration& c = nd.config();
            std::fprintf(stderr, "     config@%llu voters",
                         static_cast<unsigned long long>(nd.config_index().value));
            for (node_id v : c.voters) std::fprintf(stderr, " %u", v.value);
            std::fprintf(stderr, " learners");
            for (node_id v : c.learners) std::fprintf(stderr, " %u", v.value);
            std::fprintf(stderr, " outgoing");
            for (node_id v : c.voters_outgoing) std::fprintf(stderr, " %u", v.value);
            std::fprintf(stderr, " snapshot@%llu\n",
                         static_cast<unsigned long long>(nd.storage().first_index().prev().value));
        }
    }

    // ---- events -------------------------------------------------------------------------

    void step(fuzz::reader& in) {
        node_type& nd = node();
        const term_t t = nd.term();
        const log_index last = nd.last_index();
        last_event_ = static_cast<int>(in.range(0, membership ? 14 : 11));
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
                raft::append_entries<P> m{};
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
                              payload_of<P>(in.byte())};
                    if constexpr (membership) {
                        if (in.range(0, 3) == 0) {
                            e.kind = entry_kind::configuration;
                            e.payload = configuration_payload(in);
                        }
                    }
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
                    const auto r = nd.propose(payload_of<P>(in.byte()));
                    if (r) FUZZ_CHECK(nd.is_leader());
                }
                break;
            }
            case 10: nd.campaign(); break;
            case 11: {
                const auto what = in.range(0, 3);
                if (what == 0) restart(in.byte());
                if (what == 1) {
                    if constexpr (node_type::snapshots) {
                        nd.compact();
                    } else {
                        view::compact(nd.storage(), nd.applied_index());
                    }
                }
                break;
            }
            case 12: {
                if constexpr (membership) propose_configuration(in);
                break;
            }
            case 13: {
                if constexpr (membership) install_snapshot(in);
                break;
            }
            case 14: {
                if constexpr (membership) {
                    raft::snapshot_response m{};
                    m.term = in.term_near(t);
                    m.from = in.node(members);
                    const log_index snapshot = nd.storage().first_index().prev();
                    m.last_index = in.index_near(in.flag() ? snapshot : last);
                    m.received = in.near(nd.storage().snapshot_data().size());
                    m.installed = in.flag();
                    nd.on(message{m});
                }
                break;
            }
        }
    }

    // ---- membership events (all-features build) -------------------------------------------

    /// A node set over ids 1..ids_max from the bits of `mask`.
    static node_set set_of(std::uint8_t mask) {
        node_set s;
        for (std::uint32_t k = 0; k < ids_max; ++k)
            if (mask & (1u << k)) s.insert(node_id{k + 1});
        return s;
    }

    /// A configuration over ids 1..ids_max: arbitrary sets, or the one in effect with one or two
    /// nodes moved (more often valid, so proposals get past validation). Joint only if `joint`;
    /// now and then a learner among the voters (invalid).
    configuration random_configuration(fuzz::reader& in, bool joint) {
        configuration c;
        const auto how = in.range(0, 3);
        if (how < 2) {
            c.voters = set_of(in.byte());
            const std::uint8_t learners = in.byte();
            for (std::uint32_t k = 0; k < ids_max; ++k)
                if ((learners & (1u << k)) && (!c.voters.contains(node_id{k + 1}) || how == 1))
                    c.learners.insert(node_id{k + 1});
        } else {
            c = node().config();
            c.voters_outgoing.clear();
            for (auto moves = in.range(1, 2); moves > 0; --moves) {
                const node_id n{static_cast<std::uint32_t>(in.range(1, ids_max))};
                c.voters.erase(n);
                c.learners.erase(n);
                const auto to = in.range(0, 2);
                if (to == 0) c.voters.insert(n);
                if (to == 1) c.learners.insert(n);
            }
        }
        if (joint && in.flag()) c.voters_outgoing = set_of(in.byte());
        return c;
    }

    /// A configuration entry's payload: mostly a well-formed encoding, else mutated or garbage.
    P configuration_payload(fuzz::reader& in) {
        P p;
        configuration_codec<P>::encode(random_configuration(in, true), p);
        switch (in.range(0, 7)) {
            case 0: p[in.range(0, p.size() - 1)] = static_cast<char>(in.byte()); break;
            case 1: p.resize(in.range(0, p.size())); break;
            case 2: p.push_back(static_cast<char>(in.byte())); break;
            case 3: {
                p.resize(in.range(0, 12));
                for (char& ch : p) ch = static_cast<char>(in.byte());
                break;
            }
            default: break;
        }
        return p;
    }

    /// propose_configuration with a random target and mode (on a follower too: not_leader).
    void propose_configuration(fuzz::reader& in) {
        node_type& nd = node();
        const configuration target = random_configuration(in, in.range(0, 15) == 0);
        const auto how = static_cast<raft::membership_change>(in.range(0, 2));
        const configuration old = nd.config();
        const log_index old_index = nd.config_index();
        const log_index old_last = nd.last_index();
        const auto r = nd.propose_configuration(target, how);
        if (r) {
            // In effect once appended: the voters and learners asked for (joint or not).
            FUZZ_CHECK(old_last < *r && *r <= nd.last_index());
            FUZZ_CHECK(*r <= nd.config_index());
            FUZZ_CHECK(nd.config().voters == target.voters);
            FUZZ_CHECK(nd.config().learners == target.learners);
            FUZZ_CHECK(!target.joint());
        } else {
            FUZZ_CHECK(nd.config() == old);
            FUZZ_CHECK(nd.config_index() == old_index);
            FUZZ_CHECK(nd.last_index() == old_last);
        }
    }

    /// A snapshot image: the u16-length-prefixed configuration header (well-formed, mutated or
    /// garbage), then a few state machine bytes.
    void make_snapshot_image(fuzz::reader& in) {
        std::vector<std::byte>& out = snapshot_image_;
        out.clear();
        const auto how = in.range(0, 5);
        if (how <= 2) {
            std::byte buf[configuration_bytes_max];
            const std::size_t n = encode_configuration(random_configuration(in, in.flag()), buf);
            out.push_back(static_cast<std::byte>(n & 0xff));
            out.push_back(static_cast<std::byte>(n >> 8));
            out.insert(out.end(), buf, buf + n);
            if (how == 2) out[in.range(0, out.size() - 1)] = static_cast<std::byte>(in.byte());
        } else if (how == 3) {
            const auto n = in.flag() ? in.range(0, 0xffff) : in.range(0, 24);
            out.push_back(static_cast<std::byte>(n & 0xff));
            out.push_back(static_cast<std::byte>(n >> 8));
            for (auto k = in.range(0, 24); k > 0; --k)
                out.push_back(static_cast<std::byte>(in.byte()));
        } else {
            for (auto k = in.range(0, 3); k > 0; --k)
                out.push_back(static_cast<std::byte>(in.byte()));
        }
        for (auto k = in.range(0, 3); k > 0; --k)
            out.push_back(static_cast<std::byte>(in.byte()));
    }

    /// InstallSnapshot from a (fake) leader: mostly whole and at an index near ours, sometimes
    /// a piece of it at any offset.
    void install_snapshot(fuzz::reader& in) {
        node_type& nd = node();
        raft::install_snapshot m{};
        m.term = in.term_near(nd.term());
        m.from = in.node(members);
        const log_index last = nd.last_index();
        m.last_index = in.index_near(in.flag() ? last : nd.commit_index());
        m.last_term = in.flag() && m.last_index <= last &&
                              nd.storage().first_index().prev() <= m.last_index
                          ? nd.storage().term_at(m.last_index)
                          : in.term_near(nd.term());
        make_snapshot_image(in);
        const std::span<const std::byte> image{snapshot_image_};
        if (in.range(0, 3) != 0) {
            m.offset = 0;
            m.total_bytes = image.size();
            m.data = image;
        } else {
            m.offset = in.range(0, image.size());
            m.data = image.subspan(m.offset, in.range(0, image.size() - m.offset));
            m.total_bytes = in.flag() ? image.size() : in.near(image.size());
        }
        if (std::getenv("FUZZ_TRACE"))
            std::fprintf(stderr,
                         "     install_snapshot term %llu from %u last %llu/%llu offset %llu "
                         "size %zu total %llu\n",
                         static_cast<unsigned long long>(m.term.value), m.from.value,
                         static_cast<unsigned long long>(m.last_index.value),
                         static_cast<unsigned long long>(m.last_term.value),
                         static_cast<unsigned long long>(m.offset), m.data.size(),
                         static_cast<unsigned long long>(m.total_bytes));
        nd.on(message{m});
    }

    // ---- node lifetime ------------------------------------------------------------------

    node_type& node() { return *node_; }

    static configuration initial_configuration() {
        configuration c;
        c.voters = node_set{1u, 2u, 3u};
        c.learners = node_set{4u};
        return c;
    }

    void start() {
        const configuration c = initial_configuration();
        raft::settings s;
        s.election_timeout_ticks = 10;
        s.heartbeat_interval_ticks = 2;
        s.entries_per_message_max = 4;
        s.inflight_messages_max = 4;
        applied_.clear();
        applied_checked_ = 0;
        applied_base_ = storage_.first_index().prev();  // compacted entries are not replayed
        typename traits::state_machine sm{};
        sm.applied = &applied_;
        sm.restores = &restores_;
        node_.emplace(node_id{1}, c, s, storage_, recording_transport<P>{sent_},
                      fuzz::manual_timer{clock_}, xoshiro256{7}, std::move(sm));
        restores_ = 0;  // a restart's restore: applied_base_ is the snapshot's index already
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
        const log_index keep = std::min({commit_, nd.last_index(), committed_end()});
        for (log_index i = std::max(nd.storage().first_index(), committed_base_.next()); i <= keep;
             i = i.next())
            FUZZ_CHECK(nd.storage().term_at(i) == committed_at(i)->term);
        if (keep < committed_base_) {
            committed_base_ = keep;
            committed_.clear();
        }
        committed_.resize(keep - committed_base_);
        record_committed();
    }

    /// The index after which committed_ starts: the committed entries at or below it are in a
    /// snapshot, not known to the harness.
    log_index committed_end() const { return committed_base_ + committed_.size(); }
    const entry_t* committed_at(log_index i) const {
        if (i <= committed_base_ || committed_end() < i) return nullptr;
        return &committed_[i - committed_base_ - 1];
    }

    void record_committed() {
        node_type& nd = node();
        while (committed_end() < nd.commit_index()) {
            const log_index i = committed_end().next();
            if (i < nd.storage().first_index()) {
                // Committed by a snapshot: its entries are not ours to see.
                committed_.clear();
                committed_base_ = std::min(nd.commit_index(), nd.storage().first_index().prev());
                continue;
            }
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
        log_index from = std::max(nd.storage().first_index(), committed_base_.next());
        if (++events_ % 16 != 0 && committed_.size() > 8)
            from = std::max(from, committed_end() - 8);
        for (log_index i = from; i <= committed_end(); i = i.next())
            FUZZ_CHECK(nd.storage().entries(i, i)[0] == *committed_at(i));
        record_committed();
        FUZZ_CHECK(applied_base_ + applied_.size() == nd.applied_index());
        for (std::size_t i = applied_checked_; i < applied_.size(); ++i) {
            FUZZ_CHECK(applied_[i].index == applied_base_ + (i + 1));
            // (Unknown at or below committed_base_: after a restart that lost an installed
            // snapshot, the entries it covered are applied again from the log.)
            const entry_t* c = committed_at(applied_[i].index);
            FUZZ_CHECK(applied_[i].index <= committed_base_ || (c != nullptr && applied_[i] == *c));
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
                if constexpr (membership) {
                    // A quorum of each voter half of the configuration it was elected in (its
                    // own vote counts where it is a voter).
                    auto won = [&](const node_set& voters) {
                        std::size_t votes = 0;
                        for (node_id v : voters) {
                            const bool granted =
                                v == node_id{1} ||
                                std::any_of(grants_.begin(), grants_.end(),
                                            [&](const raft::vote_response& g) {
                                                return g.term == nd.term() && g.from == v;
                                            });
                            if (granted) ++votes;
                        }
                        return voters.empty() || 2 * votes > voters.size();
                    };
                    FUZZ_CHECK(won(nd.config().voters));
                    FUZZ_CHECK(won(nd.config().voters_outgoing));
                } else {
                    bool voted[members + 1] = {};
                    std::size_t votes = 1;
                    for (const raft::vote_response& g : grants_) {
                        if (g.term != nd.term() || g.from.value < 2 || g.from.value > 3) continue;
                        if (!voted[g.from.value]) ++votes;
                        voted[g.from.value] = true;
                    }
                    FUZZ_CHECK(votes >= 2);
                }
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

    /// What the membership checks need from before an event.
    struct observation {
        raft::role role;
        term_t term;
        bool voter;
        log_index commit;
        log_index config_index;
    };
    observation observe() {
        node_type& nd = node();
        return {nd.role(), nd.term(), nd.config().is_voter(node_id{1}), nd.commit_index(),
                nd.config_index()};
    }

    /// The configuration at or below the applied index, as storage tells it (thesis 4.2.2's
    /// "voter before"), or nothing when it comes from a snapshot whose header is garbage.
    std::optional<configuration> applied_configuration() {
        node_type& nd = node();
        const log_index first = nd.storage().first_index();
        for (log_index i = nd.applied_index(); first <= i && log_index{0} < i; i = i.prev()) {
            const entry_t& e = nd.storage().entries(i, i)[0];
            if (e.kind != entry_kind::configuration) continue;
            if (auto c = configuration_codec<P>::decode(e.payload)) return *c;
        }
        if (first.prev() == log_index{0}) return initial_configuration();
        const std::span<const std::byte> d = nd.storage().snapshot_data();
        if (d.size() < 2) return std::nullopt;
        const std::size_t n =
            std::to_integer<std::size_t>(d[0]) | (std::to_integer<std::size_t>(d[1]) << 8);
        if (d.size() < 2 + n) return std::nullopt;
        if (auto c = decode_configuration(d.subspan(2, n))) return *c;
        return std::nullopt;
    }

    void check_membership() {
        node_type& nd = node();
        FUZZ_CHECK(nd.config().validate().has_value());
        FUZZ_CHECK(nd.config_index() <= nd.last_index());
        // Only a voter campaigns; or a node the uncommitted latest configuration leaves out,
        // if the applied one has it as a voter.
        const bool campaigning =
            nd.role() == raft::role::candidate || nd.role() == raft::role::pre_candidate;
        if (campaigning && (before_.role != nd.role() || before_.term != nd.term()) &&
            !before_.voter) {
            FUZZ_CHECK(before_.commit < before_.config_index);
            if (const auto a = applied_configuration()) FUZZ_CHECK(a->is_voter(node_id{1}));
        }
    }

    /// Persistence before acknowledgement, for what left during the last event.
    void check_sent() {
        node_type& nd = node();
        for (const recorded<P>& r : sent_) {
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
    std::vector<recorded<P>> sent_;
    int restores_ = 0;
    observation before_{};
    std::vector<std::byte> snapshot_image_;
    log_index committed_base_{};
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
                                      .leader_transfer = true, .membership = true};
constexpr raft::features pre_vote_only{.pre_vote = true};
constexpr raft::features no_features{};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    fuzz::reader in{data + 1, size - 1};
    switch (data[0] % 3) {
        case 0: {
            harness<text_t, storage::deferred_log<text_t>, all_features> h{{}};
            h.run(in);
            break;
        }
        case 1: {
            harness<value_t, storage::deferred_log<value_t>, pre_vote_only> h{{}};
            h.run(in);
            break;
        }
        default: {
            static small_log log;  // too large to build per input on the stack
            log = small_log{};
            harness<value_t, storage::log_ref<small_log>, no_features> h{
                storage::log_ref<small_log>{log}};
            h.run(in);
            break;
        }
    }
    return 0;
}
