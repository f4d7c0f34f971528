// Client sessions (Raft thesis 6.3): each (client, sequence) executes once, retries get the
// first answer, memory stays bounded, and expiry and eviction depend on log time only.
#include <boost/test/unit_test.hpp>

#include <string>

#include "support/print.hpp"
#include "synod/core/sessions.hpp"

using namespace synod;

namespace {
struct command {
    std::uint64_t client = 0, sequence = 0;
    long add = 0;
};
struct adder {
    long total = 0;
    long execute(const command& c) { return total += c.add; }
};
struct key_of {
    std::optional<std::pair<std::uint64_t, std::uint64_t>> operator()(const command& c) const {
        if (c.client == 0) return std::nullopt;
        return std::pair{c.client, c.sequence};
    }
};
using machine = exactly_once<adder, key_of, long, 4>;

entry<command> at(std::uint64_t index, command c) {
    return entry<command>{term_t{1}, log_index{index}, entry_kind::normal, c};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(core_sessions)

BOOST_AUTO_TEST_CASE(a_retried_command_executes_once_and_gets_the_first_answer) {
    machine m;
    m.apply(at(1, {7, 1, 5}));
    m.apply(at(2, {7, 1, 5}));  // the client retried: the log holds it twice
    BOOST_TEST(m.inner().total == 5);
    BOOST_TEST((m.last_verdict() == session_verdict::duplicate));
    BOOST_TEST_REQUIRE(m.answer(7, 1) != nullptr);
    BOOST_TEST(*m.answer(7, 1) == 5);
    m.apply(at(3, {7, 2, 10}));
    BOOST_TEST(m.inner().total == 15);
    m.apply(at(4, {7, 1, 5}));  // a very late duplicate of the first command
    BOOST_TEST((m.last_verdict() == session_verdict::stale));
    BOOST_TEST(m.inner().total == 15);
    m.apply(at(5, {0, 0, 1}));  // outside any session: always executed
    BOOST_TEST(m.inner().total == 16);
}

BOOST_AUTO_TEST_CASE(sessions_expire_in_log_time_and_refuse_possible_retries) {
    machine m{adder{}, 10};
    m.apply(at(1, {7, 1, 5}));
    m.apply(at(20, {8, 1, 1}));  // 19 entries later: client 7's session is gone
    BOOST_TEST(m.sessions().size() == 1u);
    m.apply(at(21, {7, 2, 100}));
    BOOST_TEST((m.last_verdict() == session_verdict::expired));
    BOOST_TEST(m.inner().total == 6);
}

BOOST_AUTO_TEST_CASE(a_full_table_evicts_the_idlest_session_the_same_way_everywhere) {
    machine a, b;
    for (std::uint64_t c = 1; c <= 6; ++c) {
        a.apply(at(c, {c, 1, 1}));
        b.apply(at(c, {c, 1, 1}));
    }
    BOOST_TEST(a.sessions().size() == 4u);
    for (std::uint64_t c = 1; c <= 6; ++c)
        BOOST_TEST((a.answer(c, 1) != nullptr) == (b.answer(c, 1) != nullptr), "client " << c);
    BOOST_TEST(a.answer(1, 1) == nullptr);  // the two idlest were evicted
    BOOST_TEST(a.answer(2, 1) == nullptr);
    BOOST_TEST(a.answer(6, 1) != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
