// Fuzz target: one single-decree Paxos acceptor (node 1; learners 2 and 3) fed an arbitrary
// sequence of messages, storage completions, timer events and crash-restarts. After every event:
//  - the promised ballot never decreases, in memory and on disk (restarts included);
//  - an accepted proposal's ballot is never below what was accepted before, nor above the promise;
//  - a promise or accepted reply leaves only once the state it reports is durable (DESIGN 3);
//  - a reject names a promised ballot above the one it refuses;
//  - and the acceptor never fails one of its own SYNOD_ASSERTs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/storage/paxos_memory.hpp"

namespace {

using namespace synod;
using value_t = std::uint32_t;
using message = paxos::message<value_t>;

constexpr std::uint32_t members = 3;
constexpr std::size_t events_max = 400;

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

struct traits {
    using value_type = value_t;
    using storage = storage::deferred_acceptor<value_t>;
    using transport = recording_transport;
};
using acceptor_type = paxos::acceptor<traits>;

class harness {
public:
    harness() { start(storage::deferred_acceptor<value_t>{}); }

    void run(fuzz::reader& in) {
        for (std::size_t n = 0; n < events_max && !in.done(); ++n) {
            sent_.clear();
            step(in);
            check();
        }
    }

private:
    void start(storage::deferred_acceptor<value_t> s) {
        acceptor_.emplace(node_id{1}, node_set{2u, 3u}, std::move(s), recording_transport{sent_});
    }

    void step(fuzz::reader& in) {
        acceptor_type& a = *acceptor_;
        const ballot promised = a.promised();
        switch (in.range(0, 7)) {
            case 0:
            case 1:
                a.on(message{paxos::prepare{in.node(members), in.ballot_near(promised, members)}});
                break;
            case 2:
            case 3: {
                const proposal<value_t> p{in.ballot_near(promised, members),
                                          static_cast<value_t>(in.byte() % 4)};
                a.on(message{paxos::accept<value_t>{in.node(members), p}});
                break;
            }
            case 4: {
                // Messages for other roles: an acceptor ignores them.
                const proposal<value_t> p{in.ballot_near(promised, members), in.byte()};
                switch (in.range(0, 2)) {
                    case 0: a.on(message{paxos::promise<value_t>{in.node(members), p.number, p}}); break;
                    case 1: a.on(message{paxos::accepted<value_t>{in.node(members), p}}); break;
                    default:
                        a.on(message{paxos::reject{in.node(members), p.number,
                                                   in.ballot_near(promised, members)}});
                }
                break;
            }
            case 5: {
                storage::deferred_acceptor<value_t>& s = a.storage();
                if (in.flag()) {
                    s.complete_all();
                } else {
                    const std::uint64_t d = s.durable().value;
                    s.complete_through(write_id{d + in.range(0, s.issued().value - d)});
                }
                a.on(writes_durable{});
                break;
            }
            case 6: a.on(timeout{}); break;
            case 7: {
                // A crash: writes not yet durable are lost; the acceptor restarts from disk.
                storage::deferred_acceptor<value_t> s = a.storage();
                s.crash();
                acceptor_.reset();
                start(std::move(s));
                accepted_ = acceptor_->accepted_proposal();  // what was not durable is gone
                break;
            }
        }
    }

    void check() {
        acceptor_type& a = *acceptor_;
        const storage::memory_acceptor<value_t>& disk = a.storage().durable_state();
        // Promises only grow, on disk and in memory.
        FUZZ_CHECK(durable_promised_ <= disk.promised());
        durable_promised_ = disk.promised();
        FUZZ_CHECK(disk.promised() <= a.promised());
        // What is accepted is at or below the promise and never goes back.
        if (const auto acc = a.accepted_proposal()) {
            FUZZ_CHECK(acc->number <= a.promised());
            if (accepted_) FUZZ_CHECK(accepted_->number <= acc->number);
        }
        if (const auto acc = disk.accepted()) {
            if (durable_accepted_) FUZZ_CHECK(durable_accepted_->number <= acc->number);
            durable_accepted_ = acc;
        }
        accepted_ = a.accepted_proposal();
        if (!accepted_) accepted_ = durable_accepted_;

        for (const recorded& r : sent_) {
            if (const auto* p = std::get_if<paxos::promise<value_t>>(&r.m)) {
                // Sent only once the promise (and what it reports) is on disk.
                FUZZ_CHECK(p->promised <= disk.promised());
                if (p->accepted) {
                    FUZZ_CHECK(disk.accepted().has_value());
                    FUZZ_CHECK(p->accepted->number <= disk.accepted()->number);
                }
            } else if (const auto* v = std::get_if<paxos::accepted<value_t>>(&r.m)) {
                FUZZ_CHECK(disk.accepted().has_value());
                FUZZ_CHECK(v->voted.number <= disk.accepted()->number);
                FUZZ_CHECK(v->voted.number <= disk.promised());
                if (v->voted.number == disk.accepted()->number)
                    FUZZ_CHECK(v->voted.value == disk.accepted()->value);
            } else if (const auto* j = std::get_if<paxos::reject>(&r.m)) {
                FUZZ_CHECK(j->rejected < j->promised);
            } else {
                FUZZ_CHECK(!"an acceptor sends only promises, accepted replies and rejects");
            }
        }
    }

    std::vector<recorded> sent_;
    std::optional<acceptor_type> acceptor_;
    ballot durable_promised_{};
    std::optional<proposal<value_t>> accepted_;
    std::optional<proposal<value_t>> durable_accepted_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::reader in{data, size};
    harness h;
    h.run(in);
    return 0;
}
