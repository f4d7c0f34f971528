// storage::static_log, the fixed-capacity Raft log (DESIGN 2, "fixed-capacity static arrays"):
// it must behave as memory_log does on every operation the raft_log_storage concept names, wrap
// around its ring, refuse what does not fit, and carry a Raft cluster.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "raft/fixture.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/static.hpp"

using namespace synod;

namespace {

using small_log = storage::static_log<int, 8>;

entry<int> ent(std::uint64_t index, std::uint64_t term, int value = 0) {
    return entry<int>{term_t{term}, log_index{index}, entry_kind::normal, value};
}

std::vector<entry<int>> run(std::initializer_list<std::uint64_t> indices, std::uint64_t term) {
    std::vector<entry<int>> out;
    for (auto i : indices) out.push_back(ent(i, term, static_cast<int>(i * 10 + term)));
    return out;
}

/// Every entry lo..hi of `log`, read through entries() as a node would (it may stop at the wrap).
template <class Log>
std::vector<entry<int>> read(const Log& log, log_index lo, log_index hi) {
    std::vector<entry<int>> out;
    while (lo <= hi) {
        const auto es = log.entries(lo, hi);
        BOOST_TEST_REQUIRE(!es.empty());
        out.insert(out.end(), es.begin(), es.end());
        lo = lo + es.size();
    }
    return out;
}

/// The same observable state: indices, terms, entries, hard state, write ids.
void require_same(const small_log& s, const storage::memory_log<int>& m) {
    BOOST_TEST(s.first_index() == m.first_index());
    BOOST_TEST(s.last_index() == m.last_index());
    BOOST_TEST(s.durable() == m.durable());
    BOOST_TEST((s.hard_state() == m.hard_state()));
    BOOST_TEST(s.term_at(s.first_index().prev()) == m.term_at(m.first_index().prev()));
    if (m.first_index() <= m.last_index()) {
        BOOST_TEST((read(s, m.first_index(), m.last_index()) ==
                    read(m, m.first_index(), m.last_index())));
        for (log_index i = m.first_index(); i <= m.last_index(); ++i)
            BOOST_TEST(s.term_at(i) == m.term_at(i));
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(storage_static)

BOOST_AUTO_TEST_CASE(models_the_raft_storage_concepts) {
    static_assert(raft_log_storage<small_log, int>);
    static_assert(bounded_log_storage<small_log>);
    static_assert(raft_log_storage<storage::log_ref<small_log>, int>);
    static_assert(!bounded_log_storage<storage::memory_log<int>>);
    BOOST_TEST(small_log::capacity() == 8u);
}

BOOST_AUTO_TEST_CASE(agrees_with_memory_log_on_the_same_operations) {
    small_log s;
    storage::memory_log<int> m;
    require_same(s, m);
    const auto same_write = [&](write_id a, write_id b) { BOOST_TEST(a == b); };
    same_write(s.save_hard_state({term_t{1}, node_id{2}, log_index{0}}),
               m.save_hard_state({term_t{1}, node_id{2}, log_index{0}}));
    same_write(s.append(run({1, 2, 3}, 1)), m.append(run({1, 2, 3}, 1)));
    require_same(s, m);
    // A conflicting suffix is replaced (Raft 5.3): truncate from index 2, append 2..4 of term 2.
    same_write(s.append(run({2, 3, 4}, 2)), m.append(run({2, 3, 4}, 2)));
    require_same(s, m);
    // Appending at last + 1 only extends.
    same_write(s.append(run({5}, 2)), m.append(run({5}, 2)));
    require_same(s, m);
    s.compact_through(log_index{2}, term_t{2});
    m.compact_through(log_index{2}, term_t{2});
    require_same(s, m);
    same_write(s.append(run({4, 5, 6}, 3)), m.append(run({4, 5, 6}, 3)));
    require_same(s, m);
    // Compacting everything leaves an empty log whose base term is the snapshot's.
    s.compact_through(log_index{6}, term_t{3});
    m.compact_through(log_index{6}, term_t{3});
    require_same(s, m);
    same_write(s.append(run({7}, 3)), m.append(run({7}, 3)));
    require_same(s, m);
}

BOOST_AUTO_TEST_CASE(wraps_around_the_ring_and_reads_in_two_runs) {
    small_log s;
    storage::memory_log<int> m;
    std::uint64_t next = 1;
    // Fill, compact, refill several times: the ring wraps at every capacity's worth.
    for (int round = 0; round < 5; ++round) {
        std::vector<entry<int>> es;
        for (int k = 0; k < 5; ++k, ++next) es.push_back(ent(next, 1, static_cast<int>(next)));
        (void)s.append(es);
        (void)m.append(es);
        require_same(s, m);
        const log_index keep_from = s.last_index() - 2;
        s.compact_through(keep_from.prev(), term_t{1});
        m.compact_through(keep_from.prev(), term_t{1});
        require_same(s, m);
    }
    // Somewhere a read stopped at the wrap: entries() returned fewer than asked, never zero.
    bool saw_short_read = false;
    for (log_index lo = s.first_index(); lo <= s.last_index(); ++lo)
        saw_short_read = saw_short_read || s.entries(lo, s.last_index()).size() <
                                               static_cast<std::size_t>(s.last_index() - lo + 1);
    (void)s.append(run({next, next + 1, next + 2, next + 3, next + 4}, 1));
    for (log_index lo = s.first_index(); lo <= s.last_index(); ++lo)
        saw_short_read = saw_short_read || s.entries(lo, s.last_index()).size() <
                                               static_cast<std::size_t>(s.last_index() - lo + 1);
    BOOST_TEST(saw_short_read);
    BOOST_TEST(s.full());
}

BOOST_AUTO_TEST_CASE(reports_what_fits_and_when_full) {
    small_log s;
    BOOST_TEST(s.room() == 8u);
    BOOST_TEST(s.can_append(log_index{1}, 8));
    BOOST_TEST(!s.can_append(log_index{1}, 9));
    (void)s.append(run({1, 2, 3, 4, 5, 6}, 1));
    BOOST_TEST(s.size() == 6u);
    BOOST_TEST(s.room() == 2u);
    BOOST_TEST(s.can_append(log_index{7}, 2));
    BOOST_TEST(!s.can_append(log_index{7}, 3));
    // Truncation frees what it replaces.
    BOOST_TEST(s.can_append(log_index{3}, 6));
    BOOST_TEST(!s.can_append(log_index{3}, 7));
    // Beyond last + 1 or at/below the base never fits.
    BOOST_TEST(!s.can_append(log_index{8}, 1));
    BOOST_TEST(!s.can_append(log_index{0}, 1));
    (void)s.append(run({7, 8}, 1));
    BOOST_TEST(s.full());
    BOOST_TEST(!s.can_append(log_index{9}, 1));
    s.compact_through(log_index{3}, term_t{1});
    BOOST_TEST(s.room() == 3u);
    BOOST_TEST(s.can_append(log_index{9}, 3));
}

namespace {
struct counting_sm {
    std::vector<int> applied;
    void apply(const entry<int>& e) {
        if (e.kind == entry_kind::normal) applied.push_back(e.payload);
    }
};
using int_network = runtime::sync::network<raft::message<int>>;
template <class Storage>
struct int_traits {
    using payload = int;
    using storage = Storage;
    using transport = int_network::transport;
    using timer = int_network::timer;
    using random = xoshiro256;
    using state_machine = counting_sm;
};

/// Three nodes on static logs of capacity `C`, node 1 elected.
template <std::size_t C>
struct static_cluster {
    using log_type = storage::static_log<int, C>;
    using node_type = raft::node<int_traits<storage::log_ref<log_type>>>;
    int_network net;
    std::vector<std::unique_ptr<log_type>> logs;
    std::vector<std::unique_ptr<node_type>> nodes;

    static_cluster() {
        configuration config;
        config.voters = node_set{1u, 2u, 3u};
        for (std::uint32_t i = 1; i <= 3; ++i) {
            logs.push_back(std::make_unique<log_type>());
            nodes.push_back(std::make_unique<node_type>(
                node_id{i}, config, raft::settings{}, storage::log_ref<log_type>{*logs.back()},
                net.transport_for(node_id{i}), net.timer_for(node_id{i}), xoshiro256{i},
                counting_sm{}));
            net.attach(node_id{i}, *nodes.back());
        }
        nodes[0]->campaign();
        net.deliver_all();
    }
    node_type& operator[](std::size_t i) { return *nodes.at(i - 1); }
};
}  // namespace

BOOST_AUTO_TEST_CASE(a_raft_cluster_replicates_on_static_logs) {
    static_cluster<64> c;
    BOOST_TEST_REQUIRE(c[1].is_leader());
    std::vector<int> want;
    for (int x = 1; x <= 40; ++x) {
        BOOST_TEST_REQUIRE(c[1].propose(x).has_value());
        want.push_back(x);
        if (x % 7 == 0) c.net.deliver_all();
    }
    const int batch[] = {41, 42, 43};
    BOOST_TEST_REQUIRE(c[1].propose(std::span<const int>{batch}).has_value());
    want.insert(want.end(), {41, 42, 43});
    c.net.deliver_all();
    for (std::size_t i = 1; i <= 3; ++i) {
        BOOST_TEST_CONTEXT("node " << i) {
            BOOST_TEST(c[i].commit_index() == log_index{44});
            BOOST_TEST(c[i].state_machine().applied == want, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_full_leader_refuses_proposals_with_log_full_until_compacted) {
    static_cluster<8> c;  // the leader's no-op takes index 1
    BOOST_TEST_REQUIRE(c[1].is_leader());
    for (int x = 1; x <= 7; ++x) BOOST_TEST_REQUIRE(c[1].propose(x).has_value());
    c.net.deliver_all();
    const auto refused = c[1].propose(8);
    BOOST_TEST_REQUIRE(!refused.has_value());
    BOOST_TEST(refused.error() == errc::log_full);
    const int two[] = {8, 9};
    BOOST_TEST(c[1].propose(std::span<const int>{two}).error() == errc::log_full);
    // Every node compacts what it applied; then proposals fit again and replicate.
    for (std::size_t i = 1; i <= 3; ++i) {
        auto& log = c[i].storage().get();
        log.compact_through(c[i].applied_index(), log.term_at(c[i].applied_index()));
    }
    BOOST_TEST_REQUIRE(c[1].propose(std::span<const int>{two}).has_value());
    c.net.deliver_all();
    for (std::size_t i = 1; i <= 3; ++i)
        BOOST_TEST((c[i].state_machine().applied == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

BOOST_AUTO_TEST_CASE(a_full_follower_drops_appends_until_it_has_room) {
    static_cluster<8> c;
    BOOST_TEST_REQUIRE(c[1].is_leader());
    for (int x = 1; x <= 4; ++x) BOOST_TEST_REQUIRE(c[1].propose(x).has_value());
    c.net.deliver_all();
    // Follower 3 keeps little room: the leader compacts, follower 3 does not.
    auto& leader_log = c[1].storage().get();
    leader_log.compact_through(log_index{5}, leader_log.term_at(log_index{5}));
    auto& log2 = c[2].storage().get();
    log2.compact_through(log_index{5}, log2.term_at(log_index{5}));
    for (int x = 5; x <= 9; ++x) BOOST_TEST_REQUIRE(c[1].propose(x).has_value());
    c.net.deliver_all();
    // Nodes 1 and 2 commit (a quorum); node 3 is full at index 8 and dropped what did not fit.
    BOOST_TEST(c[1].commit_index() == log_index{10});
    BOOST_TEST(c[3].last_index() <= log_index{8});
    BOOST_TEST(c[3].storage().get().full());
    // Once node 3 compacts, the next heartbeat's answer makes the leader resend: it catches up.
    auto& log3 = c[3].storage().get();
    log3.compact_through(c[3].applied_index(), log3.term_at(c[3].applied_index()));
    c.net.run_for(3);
    BOOST_TEST(c[3].last_index() == log_index{10});
    BOOST_TEST(c[3].commit_index() == log_index{10});
    BOOST_TEST((c[3].state_machine().applied == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

BOOST_AUTO_TEST_SUITE_END()
