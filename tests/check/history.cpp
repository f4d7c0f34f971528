// Recording a client history: invocation, completion, open and discarded operations, and how
// operations print in diagnostics.

#include <boost/test/unit_test.hpp>

#include "check/histories.hpp"
#include "support/print.hpp"
#include "synod/check/history.hpp"

using namespace synod;
using namespace synod::check;

BOOST_AUTO_TEST_SUITE(check_history)

BOOST_AUTO_TEST_CASE(operations_get_dense_ids_in_invocation_order) {
    history h;
    const op_id a = h.invoke(client_id{1}, kv_input::put(3, "x"), 10);
    const op_id b = h.invoke(client_id{2}, kv_input::get(3), 12);
    BOOST_TEST(a == op_id{0});
    BOOST_TEST(b == op_id{1});
    BOOST_TEST(h.size() == 2u);
    BOOST_TEST(h.operations()[1].id == b);
    BOOST_TEST(h[a].client == client_id{1});
}

BOOST_AUTO_TEST_CASE(an_operation_stays_open_until_completed) {
    history h;
    const op_id a = h.invoke(client_id{1}, kv_input::put(3, "x"), 10);
    BOOST_TEST(h[a].open());
    BOOST_TEST(h[a].returned == time_open);
    h.complete(a, kv_output::ok(), 20);
    BOOST_TEST(!h[a].open());
    BOOST_TEST(h[a].returned == 20u);
    BOOST_TEST(h[a].invoked == 10u);
}

BOOST_AUTO_TEST_CASE(a_discarded_operation_is_marked_not_removed) {
    history h;
    const op_id a = h.invoke(client_id{1}, kv_input::put(3, "x"), 10);
    h.invoke(client_id{2}, kv_input::get(3), 11);
    h.discard(a);
    BOOST_TEST(h.size() == 2u);
    BOOST_TEST(h[a].discarded);
}

BOOST_AUTO_TEST_CASE(operations_print_for_diagnostics) {
    history h;
    const op_id p = h.invoke(client_id{1}, kv_input::put(3, "x"), 10);
    const op_id g = h.invoke(client_id{2}, kv_input::get(3), 11);
    const op_id c = h.invoke(client_id{3}, kv_input::cas(3, "x", "y"), 12);
    const op_id a = h.invoke(client_id{4}, kv_input::append(4, "z"), 13);
    const op_id o = h.invoke(client_id{5}, kv_input::get(4), 14);
    h.complete(p, kv_output::ok(), 20);
    h.complete(g, kv_output::absent(), 21);
    h.complete(c, kv_output::failed(), 22);
    h.complete(a, kv_output::appended(1), 23);
    BOOST_TEST(to_string(h[p]) == "#0 c1 put(k3, \"x\") -> ok [10, 20]");
    BOOST_TEST(to_string(h[g]) == "#1 c2 get(k3) -> absent [11, 21]");
    BOOST_TEST(to_string(h[c]) == "#2 c3 cas(k3, \"x\", \"y\") -> failed [12, 22]");
    BOOST_TEST(to_string(h[a]) == "#3 c4 append(k4, \"z\") -> ok (length 1) [13, 23]");
    BOOST_TEST(to_string(h[o]) == "#4 c5 get(k4) -> ? (open) [14, -]");
}

BOOST_AUTO_TEST_CASE(the_generator_is_deterministic_per_seed) {
    test::workload w;
    w.operations = 200;
    const history a = test::generate_linearizable(9, w);
    const history b = test::generate_linearizable(9, w);
    const history c = test::generate_linearizable(10, w);
    BOOST_TEST_REQUIRE(a.size() == b.size());
    bool same = true, differs = a.size() != c.size();
    for (std::size_t i = 0; i < a.size(); ++i) {
        const operation &x = a.operations()[i], &y = b.operations()[i];
        same &= x.input == y.input && x.output == y.output && x.invoked == y.invoked &&
                x.returned == y.returned && x.client == y.client;
        if (i < c.size()) differs |= !(x.input == c.operations()[i].input);
    }
    BOOST_TEST(same);
    BOOST_TEST(differs);
    BOOST_TEST(a.size() == 200u);
}

BOOST_AUTO_TEST_SUITE_END()
