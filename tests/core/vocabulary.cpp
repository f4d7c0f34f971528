// Core vocabulary: strong ids, ballots, configurations, fixed-capacity vectors, results, the
// random policy helpers, and the assertion hook.
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <type_traits>

#include "support/print.hpp"
#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/random.hpp"
#include "synod/core/static_vector.hpp"

using namespace synod;

BOOST_AUTO_TEST_SUITE(core_vocabulary)

BOOST_AUTO_TEST_CASE(strong_types_do_not_mix) {
    static_assert(!std::is_convertible_v<term_t, log_index>);
    static_assert(!std::is_convertible_v<log_index, term_t>);
    static_assert(!std::is_convertible_v<std::uint64_t, log_index>);
    static_assert(!std::is_constructible_v<term_t, log_index>);
    static_assert(sizeof(log_index) == 8 && sizeof(node_id) == 4);
    log_index i{5};
    BOOST_TEST((i.next() == log_index{6}));
    BOOST_TEST((i + 3 == log_index{8}));
    BOOST_TEST(log_index{8} - i == 3u);
    BOOST_TEST((term_t{1} < term_t{2}));
    BOOST_TEST(!no_node);
    BOOST_TEST(static_cast<bool>(node_id{1}));
}

BOOST_AUTO_TEST_CASE(ballots_order_by_round_then_proposer) {
    const ballot a{1, node_id{2}}, b{1, node_id{3}}, c{2, node_id{1}};
    BOOST_TEST((a < b));
    BOOST_TEST((b < c));
    BOOST_TEST((ballot{} < a));
    BOOST_TEST(!ballot{});
    BOOST_TEST((ballot::above(b, node_id{2}) == ballot{2, node_id{2}}));
    BOOST_TEST((ballot::above(a, node_id{3}) == ballot{1, node_id{3}}));
    BOOST_TEST((ballot::above(ballot{}, node_id{1}) == ballot{1, node_id{1}}));
    // Distinct proposers never produce equal ballots.
    for (std::uint64_t r = 0; r < 4; ++r)
        BOOST_TEST(!(ballot::above(ballot{r, node_id{1}}, node_id{2}) ==
                     ballot::above(ballot{r, node_id{1}}, node_id{3})));
}

BOOST_AUTO_TEST_CASE(node_sets_stay_sorted_and_distinct) {
    node_set s{3u, 1u, 2u, 3u};
    BOOST_TEST(s.size() == 3u);
    BOOST_TEST((s[0] == node_id{1}));
    BOOST_TEST((s[2] == node_id{3}));
    BOOST_TEST(!s.insert(node_id{2}));
    BOOST_TEST(s.erase(node_id{2}));
    BOOST_TEST(!s.contains(node_id{2}));
    BOOST_TEST(s.position(node_id{3}) == 1u);
    BOOST_TEST(s.position(node_id{9}) == s.size());
}

BOOST_AUTO_TEST_CASE(configurations_are_validated) {
    configuration c;
    BOOST_TEST(c.validate().error() == errc::invalid_configuration);  // no voters
    c.voters = node_set{1u, 2u, 3u};
    BOOST_TEST(c.validate().has_value());
    c.learners = node_set{4u};
    BOOST_TEST(c.validate().has_value());
    BOOST_TEST(c.contains(node_id{4}));
    BOOST_TEST(!c.is_voter(node_id{4}));
    c.learners.insert(node_id{2});  // a voter cannot also be a learner
    BOOST_TEST(c.validate().error() == errc::invalid_configuration);
    c.learners.erase(node_id{2});
    c.voters_outgoing = node_set{1u, 5u};
    BOOST_TEST(c.joint());
    BOOST_TEST(c.is_voter(node_id{5}));
    std::set<std::uint32_t> members;
    c.for_each_member([&](node_id n) { BOOST_TEST(members.insert(n.value).second); });
    BOOST_TEST((members == std::set<std::uint32_t>{1, 2, 3, 4, 5}));
}

BOOST_AUTO_TEST_CASE(static_vectors_hold_values_in_place) {
    static_vector<std::string, 4> v{"a", "b"};
    v.push_back("c");
    BOOST_TEST(v.size() == 3u);
    v.insert(v.begin() + 1, "x");
    BOOST_TEST(v.full());
    BOOST_TEST(v[1] == "x");
    v.erase(v.begin());
    BOOST_TEST(v.front() == "x");
    BOOST_TEST(v.back() == "c");
    static_vector<std::string, 4> w = v;
    BOOST_TEST((w == v));
    w.clear();
    BOOST_TEST(w.empty());
    static_assert(sizeof(static_vector<std::uint32_t, 4>) <= 4 * 4 + sizeof(std::size_t));
    // emplace_back builds an aggregate (such as an entry) in place from its members, and a
    // class through its constructor.
    static_vector<entry<std::string>, 2> es;
    const entry<std::string>& e = es.emplace_back(term_t{3}, log_index{7}, entry_kind::noop, "p");
    BOOST_TEST((&e == &es[0]));
    BOOST_TEST((e == entry<std::string>{term_t{3}, log_index{7}, entry_kind::noop, "p"}));
    BOOST_TEST(w.emplace_back(3u, 'z') == "zzz");
}

BOOST_AUTO_TEST_CASE(results_carry_a_value_or_an_error) {
    result<std::string> ok{std::string{"value"}};
    BOOST_TEST(ok.has_value());
    BOOST_TEST(*ok == "value");
    result<std::string> bad{errc::not_leader};
    BOOST_TEST(!bad);
    BOOST_TEST(bad.error() == errc::not_leader);
    result<std::string> copy = ok;
    BOOST_TEST(*copy == "value");
    copy = bad;
    BOOST_TEST(copy.error() == errc::not_leader);
    result<void> fine;
    BOOST_TEST(fine.has_value());
    BOOST_TEST(to_string(errc::bad_checksum) == "bad checksum");
}

BOOST_AUTO_TEST_CASE(one_seed_gives_one_sequence_and_uniform_stays_in_range) {
    xoshiro256 a{42}, b{42}, c{43};
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const auto x = a();
        BOOST_TEST(x == b());
        differs = differs || x != c();
    }
    BOOST_TEST(differs);
    // Every value of a small range shows up, and nothing outside it.
    xoshiro256 r{7};
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto v = uniform(r, 10, 19);
        BOOST_TEST((v >= 10 && v <= 19));
        seen.insert(v);
    }
    BOOST_TEST(seen.size() == 10u);
    BOOST_TEST(uniform(r, 5, 5) == 5u);
    // The 128-bit product used by uniform() is exact.
    const auto p = detail::multiply_wide(~0ULL, ~0ULL);
    BOOST_TEST(p.high == ~0ULL - 1);
    BOOST_TEST(p.low == 1u);
}

namespace {
int handled_line = 0;
}

BOOST_AUTO_TEST_CASE(the_assertion_handler_sees_the_failed_expression) {
    // The handler must not return (abort follows), so it leaves by longjmp-free means: it
    // records and throws, which a test build allows.
    struct assertion_failed {};
    const auto previous = set_assert_handler([](const char* expr, const char*, int line) {
        handled_line = line;
        if (std::string{expr} == "1 == 2") throw assertion_failed{};
    });
    BOOST_CHECK_THROW(SYNOD_ASSERT(1 == 2), assertion_failed);
    BOOST_TEST(handled_line > 0);
    set_assert_handler(previous);
}

BOOST_AUTO_TEST_SUITE_END()
