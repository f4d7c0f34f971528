#ifndef SYNOD_TESTS_CHECK_HISTORIES_HPP
#define SYNOD_TESTS_CHECK_HISTORIES_HPP

// Shorthands for hand-written key-value histories, and a seeded generator of histories that are
// linearizable by construction.

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "support/print.hpp"
#include "synod/check/history.hpp"
#include "synod/check/kv.hpp"
#include "synod/check/linearizability.hpp"
#include "synod/core/random.hpp"

namespace synod::check {

inline std::ostream& operator<<(std::ostream& os, verdict v) { return os << to_string(v); }
inline std::ostream& operator<<(std::ostream& os, op_id id) { return os << '#' << id.value; }
inline std::ostream& operator<<(std::ostream& os, client_id c) { return os << 'c' << c.value; }

}  // namespace synod::check

namespace synod::test {

using check::client_id;
using check::kv_input;
using check::kv_output;
using check::op_id;

/// Builds a history one complete (or open) operation at a time.
struct history_builder {
    check::history h;

    op_id op(std::uint32_t client, kv_input in, std::uint64_t invoked, std::uint64_t returned,
             kv_output out) {
        const op_id id = h.invoke(client_id{client}, std::move(in), invoked);
        h.complete(id, std::move(out), returned);
        return id;
    }
    op_id open(std::uint32_t client, kv_input in, std::uint64_t invoked) {
        return h.invoke(client_id{client}, std::move(in), invoked);
    }

    op_id get(std::uint32_t c, check::kv_key k, std::string v, std::uint64_t a, std::uint64_t b) {
        return op(c, kv_input::get(k), a, b, kv_output::read(std::move(v)));
    }
    op_id get_absent(std::uint32_t c, check::kv_key k, std::uint64_t a, std::uint64_t b) {
        return op(c, kv_input::get(k), a, b, kv_output::absent());
    }
    op_id put(std::uint32_t c, check::kv_key k, std::string v, std::uint64_t a, std::uint64_t b) {
        return op(c, kv_input::put(k, std::move(v)), a, b, kv_output::ok());
    }
    op_id cas(std::uint32_t c, check::kv_key k, std::string expected, std::string v, bool ok,
              std::uint64_t a, std::uint64_t b) {
        return op(c, kv_input::cas(k, std::move(expected), std::move(v)), a, b,
                  ok ? kv_output::ok() : kv_output::failed());
    }
    op_id append(std::uint32_t c, check::kv_key k, std::string s, std::uint64_t length,
                 std::uint64_t a, std::uint64_t b) {
        return op(c, kv_input::append(k, std::move(s)), a, b, kv_output::appended(length));
    }

    check::check_result check(const check::check_options& o = {}) const {
        return check::check_linearizability(h, o);
    }
};

/// Parameters of a generated history.
struct workload {
    std::uint32_t clients = 5;
    std::uint32_t keys = 10;
    std::uint32_t operations = 3000;
    std::uint32_t open_per_mille = 5;  ///< operations whose client crashes before the answer
    std::uint64_t latency_max = 40;    ///< invoke -> linearization point -> return, each
    std::uint64_t think_max = 20;      ///< between a client's operations
};

/// A history that is linearizable by construction: each client runs one operation at a time,
/// each operation takes effect at a point drawn inside its interval, and the operations are
/// executed on a sequential store in the order of those points. A client whose operation stays
/// open (it took effect or not, at random) is replaced by a fresh client id.
inline check::history generate_linearizable(std::uint64_t seed, const workload& w) {
    xoshiro256 r{seed};
    check::history h;
    h.reserve(w.operations);
    std::vector<check::kv_register> store(w.keys);
    std::uint64_t unique = 0;

    struct client_state {
        std::uint32_t id;
        op_id pending;
        std::uint64_t point;   // when the pending operation takes effect
        bool takes_effect;
        bool open;
    };
    std::uint32_t next_client = 1;
    std::vector<client_state> clients;
    std::uint32_t issued = 0;

    auto issue = [&](client_state& c, std::uint64_t now) {
        const check::kv_key key = static_cast<check::kv_key>(uniform(r, 0, w.keys - 1));
        const std::uint64_t dice = uniform(r, 0, 99);
        kv_input in;
        if (dice < 40) {
            in = kv_input::get(key);
        } else if (dice < 60) {
            in = kv_input::put(key, "v" + std::to_string(++unique));
        } else if (dice < 80) {
            const check::kv_register& cur = store[key];
            // Half the time expect the current value (likely success under contention).
            std::string expected = cur.present && uniform(r, 0, 1) == 0
                                       ? cur.value
                                       : "v" + std::to_string(uniform(r, 0, unique));
            in = kv_input::cas(key, std::move(expected), "v" + std::to_string(++unique));
        } else {
            in = kv_input::append(key, "a" + std::to_string(++unique) + ";");
        }
        c.pending = h.invoke(client_id{c.id}, std::move(in), now);
        c.point = now + uniform(r, 0, w.latency_max);
        c.open = uniform(r, 0, 999) < w.open_per_mille;
        c.takes_effect = !c.open || uniform(r, 0, 1) == 0;
        ++issued;
    };

    for (std::uint32_t i = 0; i < w.clients; ++i) {
        clients.push_back({next_client++, {}, 0, false, false});
        issue(clients.back(), uniform(r, 0, w.think_max));
    }
    // Execute operations in the order of their linearization points.
    while (!clients.empty()) {
        std::size_t first = 0;
        for (std::size_t i = 1; i < clients.size(); ++i)
            if (clients[i].point < clients[first].point) first = i;
        client_state& c = clients[first];
        const check::operation& op = h[c.pending];
        check::kv_output out;
        if (c.takes_effect) out = check::kv_execute(store[op.input.key], op.input);
        if (c.open) {
            // The client crashed: a new one takes its place.
            c.id = next_client++;
            const std::uint64_t now = c.point + uniform(r, 0, w.think_max);
            if (issued < w.operations) {
                issue(c, now);
            } else {
                clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(first));
            }
            continue;
        }
        const std::uint64_t returned = c.point + uniform(r, 0, w.latency_max);
        h.complete(c.pending, std::move(out), returned);
        if (issued < w.operations) {
            issue(c, returned + uniform(r, 0, w.think_max));
        } else {
            clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(first));
        }
    }
    return h;
}

}  // namespace synod::test

#endif
