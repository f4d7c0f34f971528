// Linearizability checker (RELIABILITY.md 4): Wing & Gong 1993 search with Lowe's 2017
// memoization, partitioned by key (Horn & Kroening 2015, Porcupine). Hand-written histories
// for each operation kind and each classic anomaly, open operations, partitioning, the step
// budget, the explanation, and seeded generated histories (linearizable by construction, and
// mutated so that they are not).

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "check/histories.hpp"
#include "support/print.hpp"
#include "synod/check/linearizability.hpp"

using namespace synod;
using namespace synod::check;
using synod::test::history_builder;
namespace data = boost::unit_test::data;

namespace {

struct history_case {
    const char* name;
    void (*build)(history_builder&);
    verdict expected;
};
std::ostream& operator<<(std::ostream& os, const history_case& c) { return os << c.name; }

constexpr verdict yes = verdict::linearizable;
constexpr verdict no = verdict::not_linearizable;

// Times are small integers; intervals are closed.
const history_case history_cases[] = {
    {"empty history", [](history_builder&) {}, yes},
    // ---- get ----
    {"get of a fresh key is absent", [](history_builder& b) { b.get_absent(1, 0, 0, 10); }, yes},
    {"get of a fresh key cannot return the empty string",
     [](history_builder& b) { b.get(1, 0, "", 0, 10); }, no},
    {"get returns the value put before it",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.get(2, 0, "a", 20, 30);
     },
     yes},
    {"stale read after a later put returned",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.put(1, 0, "b", 20, 30);
         b.get(2, 0, "a", 40, 50);
     },
     no},
    {"read your writes violated",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.get_absent(1, 0, 20, 30);
     },
     no},
    {"get concurrent with a put may return either value",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 100);
         b.get(2, 0, "a", 25, 75);
         b.get_absent(3, 0, 30, 60);
     },
     yes},
    {"get may not return the old value after another get returned the new one",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 100);
         b.get(2, 0, "a", 25, 75);
         b.get_absent(3, 0, 80, 90);
     },
     no},
    {"get of a value never written",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.get(2, 0, "z", 20, 30);
     },
     no},
    // ---- put ----
    {"concurrent puts with a later read of either", [](history_builder& b) {
         b.put(1, 0, "a", 0, 100);
         b.put(2, 0, "b", 0, 100);
         b.get(3, 0, "a", 110, 120);
     },
     yes},
    {"a put cannot answer failed",
     [](history_builder& b) { b.op(1, kv_input::put(0, "a"), 0, 10, kv_output::failed()); }, no},
    {"reads flip-flop between two concurrent puts",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 100);
         b.put(2, 0, "b", 0, 100);
         b.get(3, 0, "a", 10, 20);
         b.get(3, 0, "b", 30, 40);
         b.get(3, 0, "a", 50, 60);
     },
     no},
    // ---- cas ----
    {"cas succeeds on the expected value",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.cas(1, 0, "a", "b", true, 20, 30);
         b.get(2, 0, "b", 40, 50);
     },
     yes},
    {"cas fails on another value",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.cas(1, 0, "x", "b", false, 20, 30);
         b.get(2, 0, "a", 40, 50);
     },
     yes},
    {"cas cannot succeed on an absent key",
     [](history_builder& b) { b.cas(1, 0, "", "b", true, 0, 10); }, no},
    {"cas cannot fail when the value matched",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.cas(2, 0, "a", "b", false, 20, 30);
     },
     no},
    {"lost update: two cas from the same value both succeed",
     [](history_builder& b) {
         b.put(1, 0, "0", 0, 10);
         b.cas(1, 0, "0", "1", true, 20, 40);
         b.cas(2, 0, "0", "2", true, 20, 40);
     },
     no},
    {"two concurrent cas from the same value: one wins",
     [](history_builder& b) {
         b.put(1, 0, "0", 0, 10);
         b.cas(1, 0, "0", "1", false, 20, 40);
         b.cas(2, 0, "0", "2", true, 20, 40);
         b.get(1, 0, "2", 50, 60);
     },
     yes},
    {"cas concurrent with the put it depends on",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 100);
         b.cas(2, 0, "a", "b", true, 0, 100);
     },
     yes},
    // ---- append ----
    {"appends report the growing length",
     [](history_builder& b) {
         b.append(1, 0, "ab", 2, 0, 10);
         b.append(2, 0, "c", 3, 20, 30);
         b.get(1, 0, "abc", 40, 50);
     },
     yes},
    {"append on a fresh key counts from empty",
     [](history_builder& b) { b.append(1, 0, "ab", 3, 0, 10); }, no},
    {"lost update: two appends report the same length",
     [](history_builder& b) {
         b.append(1, 0, "a", 1, 0, 10);
         b.append(2, 0, "b", 2, 5, 30);
         b.append(3, 0, "c", 2, 5, 30);
     },
     no},
    {"concurrent appends read back in the order their lengths say",
     [](history_builder& b) {
         b.append(1, 0, "x", 2, 0, 100);
         b.append(2, 0, "y", 1, 0, 100);
         b.get(3, 0, "yx", 110, 120);
     },
     yes},
    {"concurrent appends read back against their lengths",
     [](history_builder& b) {
         b.append(1, 0, "x", 2, 0, 100);
         b.append(2, 0, "y", 1, 0, 100);
         b.get(3, 0, "xy", 110, 120);
     },
     no},
    // ---- closed intervals ----
    {"operations touching at one instant are concurrent",
     [](history_builder& b) {
         b.get(1, 0, "a", 0, 10);
         b.put(2, 0, "a", 10, 20);
     },
     yes},
    {"operations one tick apart are ordered",
     [](history_builder& b) {
         b.get(1, 0, "a", 0, 10);
         b.put(2, 0, "a", 11, 20);
     },
     no},
    // ---- open operations ----
    {"an open put that must have taken effect",
     [](history_builder& b) {
         b.open(1, kv_input::put(0, "z"), 5);
         b.get(2, 0, "z", 50, 60);
     },
     yes},
    {"an open put that may never take effect",
     [](history_builder& b) {
         b.open(1, kv_input::put(0, "z"), 5);
         b.get_absent(2, 0, 50, 60);
         b.get_absent(2, 0, 70, 80);
     },
     yes},
    {"an open put cannot take effect before its invocation",
     [](history_builder& b) {
         b.get(2, 0, "z", 10, 20);
         b.open(1, kv_input::put(0, "z"), 100);
     },
     no},
    {"an open put cannot be undone once observed",
     [](history_builder& b) {
         b.open(1, kv_input::put(0, "z"), 5);
         b.get(2, 0, "z", 20, 30);
         b.get_absent(2, 0, 40, 50);
     },
     no},
    {"an open put may take effect late",
     [](history_builder& b) {
         b.open(1, kv_input::put(0, "z"), 5);
         b.put(2, 0, "a", 10, 20);
         b.get(2, 0, "a", 30, 40);
         b.get(3, 0, "z", 1000, 1010);
     },
     yes},
    {"an open cas that succeeded",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.open(2, kv_input::cas(0, "a", "b"), 20);
         b.get(1, 0, "b", 30, 40);
     },
     yes},
    {"an open cas cannot succeed on another value",
     [](history_builder& b) {
         b.put(1, 0, "a", 0, 10);
         b.open(2, kv_input::cas(0, "q", "b"), 20);
         b.get(1, 0, "b", 30, 40);
     },
     no},
    {"an open append that took effect",
     [](history_builder& b) {
         b.append(1, 0, "a", 1, 0, 10);
         b.open(2, kv_input::append(0, "b"), 20);
         b.append(1, 0, "c", 3, 30, 40);
     },
     yes},
    {"an open get constrains nothing",
     [](history_builder& b) {
         b.open(1, kv_input::get(0), 0);
         b.put(2, 0, "a", 10, 20);
     },
     yes},
    // ---- discarded operations ----
    {"a discarded put is not evidence",
     [](history_builder& b) {
         const op_id p = b.open(1, kv_input::put(0, "z"), 5);
         b.h.discard(p);
         b.get(2, 0, "z", 50, 60);
     },
     no},
    // ---- partitioning ----
    {"keys do not interact",
     [](history_builder& b) {
         b.put(1, 1, "a", 0, 10);
         b.get_absent(2, 2, 20, 30);
         b.get(2, 1, "a", 20, 30);
     },
     yes},
    {"one bad key among good ones",
     [](history_builder& b) {
         for (kv_key k = 0; k < 5; ++k) b.put(1, k, "a", k * 10, k * 10 + 5);
         b.get(2, 3, "b", 100, 110);
         b.get(2, 4, "a", 100, 110);
     },
     no},
};

BOOST_AUTO_TEST_SUITE(check_linearizability)

BOOST_DATA_TEST_CASE(hand_written_histories_get_the_expected_verdict, data::make(history_cases), c) {
    history_builder b;
    c.build(b);
    const check_result r = b.check();
    BOOST_TEST(r.outcome == c.expected, r.explanation);
    if (r.outcome == verdict::not_linearizable) {
        BOOST_TEST(!r.failure.window.empty());
        BOOST_TEST(r.failure.window.size() == r.failure.model_answers.size());
    }
}

BOOST_AUTO_TEST_CASE(the_witness_orders_concurrent_puts_as_the_later_read_requires) {
    history_builder b;
    const op_id a = b.put(1, 0, "a", 0, 100);
    const op_id bb = b.put(2, 0, "b", 0, 100);
    const op_id g = b.get(3, 0, "a", 110, 120);
    const check_result r = b.check();
    BOOST_TEST_REQUIRE(r.outcome == verdict::linearizable);
    const std::vector<op_id> expected{bb, a, g};
    BOOST_TEST(r.witness == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_witness_places_a_cas_after_the_put_it_read) {
    history_builder b;
    const op_id c = b.cas(2, 0, "a", "b", true, 0, 100);
    const op_id p = b.put(1, 0, "a", 0, 100);
    const check_result r = b.check();
    BOOST_TEST_REQUIRE(r.outcome == verdict::linearizable);
    const std::vector<op_id> expected{p, c};
    BOOST_TEST(r.witness == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_open_put_that_never_took_effect_is_left_out_of_the_witness) {
    history_builder b;
    b.open(1, kv_input::put(0, "z"), 5);
    const op_id g = b.get_absent(2, 0, 50, 60);
    const check_result r = b.check();
    BOOST_TEST_REQUIRE(r.outcome == verdict::linearizable);
    const std::vector<op_id> expected{g};
    BOOST_TEST(r.witness == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(each_key_is_checked_as_its_own_partition) {
    history_builder b;
    for (kv_key k = 0; k < 7; ++k) b.put(1, k, "a", k, k + 1);
    const check_result r = b.check();
    BOOST_TEST(r.outcome == verdict::linearizable);
    BOOST_TEST(r.partitions == 7u);
}

BOOST_AUTO_TEST_CASE(the_smallest_failing_partition_is_explained) {
    history_builder b;
    // Key 1 fails with four operations, key 2 with two.
    b.put(1, 1, "a", 0, 10);
    b.put(1, 1, "b", 20, 30);
    b.get(2, 1, "c", 40, 50);
    b.get(2, 1, "b", 60, 70);
    b.put(3, 2, "x", 0, 10);
    b.get(3, 2, "y", 20, 30);
    const check_result r = b.check();
    BOOST_TEST_REQUIRE(r.outcome == verdict::not_linearizable);
    BOOST_TEST(r.partitions_failed == 2u);
    BOOST_TEST(r.failure.partition == 2u);
    BOOST_TEST(r.failure.operations == 2u);

    check_options first;
    first.stop_at_first_failure = true;
    const check_result f = b.check(first);
    BOOST_TEST(f.outcome == verdict::not_linearizable);
    BOOST_TEST(f.failure.partition == 1u);
    BOOST_TEST(f.partitions == 1u);
}

BOOST_AUTO_TEST_CASE(the_explanation_names_the_key_the_prefix_and_each_answer) {
    history_builder b;
    b.put(1, 3, "a", 0, 10);
    b.put(1, 3, "b", 20, 30);
    const op_id stale = b.get(2, 3, "a", 40, 50);
    const op_id later = b.get(3, 3, "z", 45, 60);
    const check_result r = b.check();
    BOOST_TEST_MESSAGE(r.explanation);
    BOOST_TEST_REQUIRE(r.outcome == verdict::not_linearizable);
    const linearizability_failure& f = r.failure;
    BOOST_TEST(f.partition == 3u);
    BOOST_TEST(f.longest_prefix.size() == 2u);
    BOOST_TEST(f.state_after_prefix == "\"b\"");
    BOOST_TEST(f.deadline == stale);
    const std::vector<op_id> window{stale, later};
    BOOST_TEST(f.window == window, boost::test_tools::per_element());
    BOOST_TEST(f.model_answers[0] == "\"b\"");
    const std::string& text = r.explanation;
    BOOST_TEST(text.find("not linearizable: partition 3") != std::string::npos, text);
    BOOST_TEST(text.find("longest linearizable prefix: 2 operations, ending in state \"b\"") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("#1 c1 put(k3, \"b\") -> ok [20, 30]") != std::string::npos, text);
    BOOST_TEST(text.find("before #2 returns at 50") != std::string::npos, text);
    BOOST_TEST(text.find("#2 c2 get(k3) -> \"a\" [40, 50]: in state \"b\" it would return \"b\"") !=
                   std::string::npos,
               text);
}

BOOST_AUTO_TEST_CASE(a_search_over_its_budget_is_unknown_not_a_pass) {
    history_builder b;
    // Eighteen concurrent puts, then a read of a value none wrote: proving it needs every
    // subset of the puts.
    for (std::uint32_t i = 0; i < 18; ++i) b.put(i + 1, 0, "v" + std::to_string(i), 0, 1000);
    b.get(99, 0, "never", 2000, 2010);
    check_options tight;
    tight.steps_max_per_partition = 500;
    const check_result r = b.check(tight);
    BOOST_TEST(r.outcome == verdict::unknown);
    BOOST_TEST(!r);
    BOOST_TEST(r.partitions_unknown == 1u);
    BOOST_TEST(r.explanation.find("exceeded 500 steps") != std::string::npos, r.explanation);
    // The same search is deterministic: same steps again.
    BOOST_TEST(b.check(tight).steps == r.steps);
}

BOOST_AUTO_TEST_CASE(memoization_keeps_many_concurrent_writes_tractable) {
    history_builder b;
    for (std::uint32_t i = 0; i < 12; ++i) b.put(i + 1, 0, "v" + std::to_string(i), 0, 1000);
    b.get(99, 0, "never", 2000, 2010);
    const check_result r = b.check();
    BOOST_TEST(r.outcome == verdict::not_linearizable);
    BOOST_TEST_MESSAGE("12 concurrent puts refuted in " << r.steps << " steps");
}

// ---- generated histories ----------------------------------------------------------------------

const std::uint64_t seeds[] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987};

BOOST_DATA_TEST_CASE(generated_histories_are_linearizable, data::make(seeds), seed) {
    test::workload w;
    w.operations = 1000;
    w.open_per_mille = 10;
    const history h = test::generate_linearizable(seed, w);
    const check_result r = synod::check::check_linearizability(h);
    BOOST_TEST(r.outcome == verdict::linearizable, "seed " << seed << ": " << r.explanation);
}

BOOST_DATA_TEST_CASE(generated_histories_with_contention_are_linearizable, data::make(seeds),
                     seed) {
    test::workload w;
    w.keys = 2;
    w.clients = 8;
    w.operations = 600;
    const history h = test::generate_linearizable(seed, w);
    const check_result r = synod::check::check_linearizability(h);
    BOOST_TEST(r.outcome == verdict::linearizable, "seed " << seed << ": " << r.explanation);
}

BOOST_DATA_TEST_CASE(a_generated_history_with_one_read_of_an_unwritten_value_is_rejected,
                     data::make(seeds), seed) {
    test::workload w;
    w.operations = 1000;
    history h = test::generate_linearizable(seed, w);
    std::vector<operation> ops{h.operations().begin(), h.operations().end()};
    // Pick a completed get at random and make it read a value no operation wrote.
    xoshiro256 r{seed ^ 0xabcdef};
    std::vector<std::size_t> reads;
    for (const operation& op : ops)
        if (!op.open() && op.input.kind == op_kind::get) reads.push_back(op.id.value);
    BOOST_TEST_REQUIRE(!reads.empty());
    const std::size_t victim = reads[uniform(r, 0, reads.size() - 1)];
    ops[victim].output = kv_output::read("never-written");
    const check_result c = synod::check::check_linearizability(ops);
    BOOST_TEST_REQUIRE(c.outcome == verdict::not_linearizable, "seed " << seed);
    BOOST_TEST(c.failure.partition == ops[victim].input.key);
    BOOST_TEST(c.explanation.find("never-written") != std::string::npos);
}

BOOST_DATA_TEST_CASE(a_generated_history_with_one_stale_read_is_rejected, data::make(seeds), seed) {
    // A read that returns the value of a put overwritten by a later put before the read began.
    // Every write writes a value of its own, so no other write can have brought it back.
    test::workload w;
    w.operations = 1000;
    history h = test::generate_linearizable(seed, w);
    std::vector<operation> ops{h.operations().begin(), h.operations().end()};
    std::size_t mutated = 0;
    for (operation& read : ops) {
        if (read.open() || read.input.kind != op_kind::get) continue;
        const operation* overwritten = nullptr;
        const operation* latest = nullptr;
        for (const operation& o : ops) {
            if (o.id.value >= read.id.value) break;
            if (o.open() || o.input.key != read.input.key || o.input.kind != op_kind::put ||
                o.returned >= read.invoked)
                continue;
            if (latest != nullptr && latest->returned < o.invoked) overwritten = latest;
            if (latest == nullptr || o.invoked > latest->returned) latest = &o;
        }
        if (overwritten == nullptr) continue;
        read.output = kv_output::read(overwritten->input.value);
        mutated = read.id.value;
        break;
    }
    BOOST_TEST_REQUIRE(mutated != 0u, "seed " << seed << ": no read to make stale");
    const check_result c = synod::check::check_linearizability(ops);
    BOOST_TEST(c.outcome == verdict::not_linearizable, "seed " << seed << " op #" << mutated);
    BOOST_TEST(c.failure.partition == ops[mutated].input.key);
}

// The definition, by brute force: some order of the completed operations and a subset of the
// open ones, consistent with real time, that the sequential store accepts.
bool linearizable_by_brute_force(const std::vector<operation>& ops) {
    const std::size_t n = ops.size();
    for (std::uint32_t subset = 0; subset < (1u << n); ++subset) {
        std::vector<std::size_t> order;
        bool valid = true;
        for (std::size_t k = 0; k < n; ++k) {
            const bool in = (subset >> k) & 1u;
            if (!in && !ops[k].open()) valid = false;
            if (in) order.push_back(k);
        }
        if (!valid) continue;
        do {
            bool ok = true;
            for (std::size_t a = 0; a < order.size() && ok; ++a)
                for (std::size_t b = a + 1; b < order.size() && ok; ++b)
                    ok = !(ops[order[b]].returned < ops[order[a]].invoked);
            std::vector<kv_register> keys(2);
            for (std::size_t a = 0; a < order.size() && ok; ++a) {
                const operation& op = ops[order[a]];
                const kv_output out = kv_execute(keys[op.input.key], op.input);
                ok = op.open() || out == op.output;
            }
            if (ok) return true;
        } while (std::next_permutation(order.begin(), order.end()));
    }
    return false;
}

BOOST_AUTO_TEST_CASE(the_search_agrees_with_brute_force_on_small_random_histories) {
    xoshiro256 r{2024};
    const char* values[] = {"a", "b", "ab"};
    int linearizable = 0, not_linearizable = 0;
    for (int round = 0; round < 3000; ++round) {
        std::vector<operation> ops(uniform(r, 1, 6));
        for (std::uint32_t k = 0; k < ops.size(); ++k) {
            operation& op = ops[k];
            op.id = op_id{k};
            op.client = client_id{k + 1};
            const kv_key key = static_cast<kv_key>(uniform(r, 0, 1));
            const std::string v = values[uniform(r, 0, 1)];
            switch (uniform(r, 0, 3)) {
                case 0: {
                    op.input = kv_input::get(key);
                    const std::uint64_t d = uniform(r, 0, 3);
                    op.output = d == 3 ? kv_output::absent() : kv_output::read(values[d]);
                    break;
                }
                case 1: op.input = kv_input::put(key, v); break;
                case 2:
                    op.input = kv_input::cas(key, values[uniform(r, 0, 1)], v);
                    op.output = uniform(r, 0, 1) ? kv_output::ok() : kv_output::failed();
                    break;
                default:
                    op.input = kv_input::append(key, v);
                    op.output = kv_output::appended(uniform(r, 1, 3));
            }
            op.invoked = uniform(r, 0, 10);
            op.returned = uniform(r, 0, 6) == 0 ? time_open : op.invoked + uniform(r, 0, 10);
        }
        const bool expected = linearizable_by_brute_force(ops);
        const check_result c = synod::check::check_linearizability(ops);
        BOOST_TEST_REQUIRE(c.outcome != verdict::unknown);
        std::string listing;
        for (const operation& op : ops) listing += to_string(op) + "\n";
        BOOST_TEST_REQUIRE(static_cast<bool>(c) == expected, "round " << round << ":\n" << listing);
        (expected ? linearizable : not_linearizable)++;
    }
    BOOST_TEST_MESSAGE("brute force agreed on " << linearizable << " linearizable and "
                                                << not_linearizable << " other histories");
    BOOST_TEST(linearizable > 300);
    BOOST_TEST(not_linearizable > 300);
}

BOOST_AUTO_TEST_CASE(a_three_thousand_operation_history_is_checked_quickly) {
    test::workload w;  // 5 clients, 10 keys, 3000 operations
    const history h = test::generate_linearizable(42, w);
    const auto start = std::chrono::steady_clock::now();
    const check_result r = synod::check::check_linearizability(h);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    BOOST_TEST(r.outcome == verdict::linearizable, r.explanation);
    // Reported, not asserted: timing depends on the machine.
    BOOST_TEST_MESSAGE("3000 ops, 5 clients, 10 keys: "
                       << r.steps << " steps, "
                       << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()
                       << " us");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
