// The replicated key-value store of the simulator's workload: its sequential semantics, the
// byte encoding of commands, and exactly-once execution of retried commands (client id +
// sequence number; RELIABILITY.md 4.6).

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "check/histories.hpp"
#include "support/print.hpp"
#include "synod/check/kv.hpp"
#include "synod/core/concepts/state_machine.hpp"
#include "synod/core/entry.hpp"

using namespace synod;
using namespace synod::check;
namespace data = boost::unit_test::data;

namespace {

static_assert(state_machine<kv_store, entry<kv_command>>);
static_assert(state_machine<kv_store, entry<std::string>>);
static_assert(state_machine<kv_store, entry<std::vector<std::byte>>>);

kv_command command(std::uint32_t client, std::uint64_t sequence, kv_input in) {
    return {client_id{client}, sequence, std::move(in)};
}
template <class P>
entry<P> at(std::uint64_t index, P payload) {
    return {term_t{1}, log_index{index}, entry_kind::normal, std::move(payload)};
}

struct semantics_case {
    const char* name;
    kv_register before;
    kv_input input;
    kv_output answer;
    kv_register after;
};
std::ostream& operator<<(std::ostream& os, const semantics_case& c) { return os << c.name; }

const kv_register absent{};
kv_register holds(std::string v) { return {true, std::move(v)}; }

const semantics_case semantics_cases[] = {
    {"get of an absent key", absent, kv_input::get(1), kv_output::absent(), absent},
    {"get of a present key", holds("a"), kv_input::get(1), kv_output::read("a"), holds("a")},
    {"get of the empty value", holds(""), kv_input::get(1), kv_output::read(""), holds("")},
    {"put creates", absent, kv_input::put(1, "a"), kv_output::ok(), holds("a")},
    {"put overwrites", holds("a"), kv_input::put(1, "b"), kv_output::ok(), holds("b")},
    {"cas on the expected value", holds("a"), kv_input::cas(1, "a", "b"), kv_output::ok(),
     holds("b")},
    {"cas on another value", holds("a"), kv_input::cas(1, "x", "b"), kv_output::failed(),
     holds("a")},
    {"cas on an absent key, even expecting empty", absent, kv_input::cas(1, "", "b"),
     kv_output::failed(), absent},
    {"append to an absent key", absent, kv_input::append(1, "ab"), kv_output::appended(2),
     holds("ab")},
    {"append to a value", holds("ab"), kv_input::append(1, "c"), kv_output::appended(3),
     holds("abc")},
};

BOOST_AUTO_TEST_SUITE(check_kv)

BOOST_DATA_TEST_CASE(each_operation_answers_and_changes_state_as_specified,
                     data::make(semantics_cases), c) {
    kv_register r = c.before;
    BOOST_TEST((kv_execute(r, c.input) == c.answer));
    BOOST_TEST((r == c.after));
}

BOOST_DATA_TEST_CASE(the_model_accepts_exactly_the_answer_the_store_gives,
                     data::make(semantics_cases), c) {
    const kv_model m;
    operation op;
    op.input = c.input;
    op.output = c.answer;
    op.returned = 10;
    kv_register next;
    const step_result r = m.step(c.before, op, next);
    BOOST_TEST_REQUIRE((r != step_result::illegal));
    BOOST_TEST(((r == step_result::changed ? next : c.before) == c.after));
    // Another answer is illegal.
    op.output = c.answer.status == kv_status::failed ? kv_output::ok()
                : c.input.kind == op_kind::get       ? kv_output::read("other")
                                                     : kv_output::failed();
    BOOST_TEST((m.step(c.before, op, next) == step_result::illegal));
    // Open, the operation is always legal.
    op.returned = time_open;
    BOOST_TEST((m.step(c.before, op, next) != step_result::illegal));
}

BOOST_AUTO_TEST_CASE(commands_round_trip_through_bytes) {
    const kv_command cases[] = {
        command(1, 1, kv_input::get(7)),
        command(4000000000u, 1ull << 40, kv_input::put(0xffffffffu, "value")),
        command(3, 9, kv_input::cas(2, "old", "new")),
        command(3, 10, kv_input::append(2, std::string("\0x\xff", 3))),
        command(5, 1, kv_input::put(1, "")),
    };
    for (const kv_command& c : cases) {
        const std::string bytes = kv_encode(c);
        BOOST_TEST(bytes.size() ==
                   kv_command_header_bytes + c.input.value.size() + c.input.expected.size());
        const std::optional<kv_command> back = kv_decode(bytes);
        BOOST_TEST_REQUIRE(back.has_value());
        BOOST_TEST((*back == c));
    }
}

BOOST_AUTO_TEST_CASE(malformed_bytes_are_rejected) {
    const std::string good = kv_encode(command(1, 2, kv_input::cas(3, "ab", "cde")));
    BOOST_TEST(!kv_decode("").has_value());
    for (std::size_t n = 0; n < good.size(); ++n)
        BOOST_TEST(!kv_decode(good.substr(0, n)).has_value(), "truncated to " << n);
    BOOST_TEST(!kv_decode(good + "x").has_value());
    std::string bad_version = good;
    bad_version[0] = 2;
    BOOST_TEST(!kv_decode(bad_version).has_value());
    std::string bad_kind = good;
    bad_kind[1] = 4;
    BOOST_TEST(!kv_decode(bad_kind).has_value());
    std::string huge_value = good;
    huge_value[21] = '\x7f';
    BOOST_TEST(!kv_decode(huge_value).has_value());
}

BOOST_AUTO_TEST_CASE(the_store_applies_commands_and_keeps_each_answer) {
    kv_store s;
    s.apply(at(1, command(1, 1, kv_input::put(5, "a"))));
    s.apply(at(2, command(2, 1, kv_input::append(5, "b"))));
    s.apply(at(3, command(1, 2, kv_input::get(5))));
    BOOST_TEST(s.applied_index() == log_index{3});
    BOOST_TEST_REQUIRE(s.find(5) != nullptr);
    BOOST_TEST(*s.find(5) == "ab");
    BOOST_TEST(s.find(6) == nullptr);
    BOOST_TEST_REQUIRE(s.result(client_id{2}, 1) != nullptr);
    BOOST_TEST((*s.result(client_id{2}, 1) == kv_output::appended(2)));
    BOOST_TEST_REQUIRE(s.result(client_id{1}, 2) != nullptr);
    BOOST_TEST((*s.result(client_id{1}, 2) == kv_output::read("ab")));
    // Only the latest answer per client is kept.
    BOOST_TEST(s.result(client_id{1}, 1) == nullptr);
    BOOST_TEST(s.result(client_id{3}, 1) == nullptr);
    BOOST_TEST(s.last_sequence(client_id{1}) == 2u);
}

BOOST_AUTO_TEST_CASE(a_retried_command_is_executed_once) {
    kv_store s;
    s.apply(at(1, command(1, 1, kv_input::append(5, "x"))));
    s.apply(at(2, command(1, 1, kv_input::append(5, "x"))));  // the retry, committed again
    BOOST_TEST(*s.find(5) == "x");
    BOOST_TEST((*s.result(client_id{1}, 1) == kv_output::appended(1)));
    s.apply(at(3, command(1, 2, kv_input::append(5, "y"))));
    s.apply(at(4, command(1, 1, kv_input::append(5, "x"))));  // a stale duplicate
    BOOST_TEST(*s.find(5) == "xy");
    BOOST_TEST(s.executed() == 2u);
    BOOST_TEST(s.duplicates() == 2u);
    BOOST_TEST(s.applied_index() == log_index{4});
}

BOOST_AUTO_TEST_CASE(byte_payloads_of_any_kind_are_decoded) {
    const kv_command c = command(1, 1, kv_input::put(2, "v"));
    const std::string bytes = kv_encode(c);
    std::vector<std::byte> raw(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) raw[i] = static_cast<std::byte>(bytes[i]);

    kv_store from_string, from_bytes, from_struct;
    from_string.apply(at(1, bytes));
    from_bytes.apply(at(1, raw));
    from_struct.apply(at(1, c));
    BOOST_TEST(*from_string.find(2) == "v");
    BOOST_TEST(from_string.state_hash() == from_bytes.state_hash());
    BOOST_TEST(from_string.state_hash() == from_struct.state_hash());
}

BOOST_AUTO_TEST_CASE(noop_entries_and_bad_payloads_advance_the_index_only) {
    kv_store s;
    s.apply(entry<std::string>{term_t{1}, log_index{1}, entry_kind::noop, {}});
    s.apply(at(2, std::string{"garbage"}));
    BOOST_TEST(s.applied_index() == log_index{2});
    BOOST_TEST(s.malformed() == 1u);
    BOOST_TEST(s.executed() == 0u);
    BOOST_TEST(s.state_hash() == 0u);
}

BOOST_AUTO_TEST_CASE(the_state_hash_depends_on_contents_not_order) {
    kv_store a, b, c;
    a.apply(at(1, command(1, 1, kv_input::put(1, "x"))));
    a.apply(at(2, command(1, 2, kv_input::put(2, "y"))));
    b.apply(at(1, command(2, 1, kv_input::put(2, "y"))));
    b.apply(at(2, command(1, 1, kv_input::put(1, "x"))));
    c.apply(at(1, command(1, 1, kv_input::put(1, "y"))));
    c.apply(at(2, command(1, 2, kv_input::put(2, "x"))));
    BOOST_TEST(a.state_hash() == b.state_hash());
    BOOST_TEST(a.state_hash() != c.state_hash());
    // Overwriting back restores the hash.
    b.apply(at(3, command(3, 1, kv_input::put(1, "z"))));
    BOOST_TEST(a.state_hash() != b.state_hash());
    b.apply(at(4, command(3, 2, kv_input::put(1, "x"))));
    BOOST_TEST(a.state_hash() == b.state_hash());
}

BOOST_AUTO_TEST_CASE(a_store_driven_through_the_log_yields_a_linearizable_history) {
    // Clients issue commands; the "log" commits them in a shuffled order; each answer is read
    // from the store when the client next looks. The history must be linearizable.
    xoshiro256 r{7};
    kv_store s;
    history h;
    struct pending {
        op_id id;
        kv_command c;
    };
    std::vector<pending> in_flight;
    std::uint64_t now = 0, index = 0, sequence[4] = {0, 0, 0, 0};
    for (int round = 0; round < 400; ++round) {
        ++now;
        const std::uint32_t client = static_cast<std::uint32_t>(uniform(r, 1, 3));
        bool busy = false;
        for (const pending& p : in_flight) busy |= p.c.client.value == client;
        if (!busy && uniform(r, 0, 1) == 0) {
            const kv_key key = static_cast<kv_key>(uniform(r, 0, 1));
            const std::uint64_t d = uniform(r, 0, 3);
            kv_input in = d == 0   ? kv_input::get(key)
                          : d == 1 ? kv_input::put(key, "v" + std::to_string(now))
                          : d == 2 ? kv_input::cas(key, "v" + std::to_string(now - 3), "w")
                                   : kv_input::append(key, "a");
            const kv_command c = command(client, ++sequence[client], in);
            in_flight.push_back({h.invoke(client_id{client}, in, now), c});
        } else if (!in_flight.empty()) {
            const std::size_t k = uniform(r, 0, in_flight.size() - 1);
            const pending p = in_flight[k];
            s.apply(at(++index, kv_encode(p.c)));
            if (uniform(r, 0, 2) == 0) s.apply(at(++index, kv_encode(p.c)));  // duplicated
            h.complete(p.id, *s.result(p.c.client, p.c.sequence), ++now);
            in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(k));
        }
    }
    const check_result c = synod::check::check_linearizability(h);
    BOOST_TEST(c.outcome == verdict::linearizable, c.explanation);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
