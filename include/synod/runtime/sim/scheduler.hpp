#ifndef SYNOD_RUNTIME_SIM_SCHEDULER_HPP
#define SYNOD_RUNTIME_SIM_SCHEDULER_HPP

/// \file
/// The simulator's discrete-event queue: events ordered by virtual time, ties broken by the
/// order they were scheduled in, so a run is a pure function of its seed.

#include <cstdint>
#include <queue>
#include <vector>

namespace synod::runtime::sim {

/// What an event does; `node` and `ref` say to whom and with what.
enum class event_kind : std::uint8_t {
    deliver,        ///< message `ref` arrives at `node`
    timer,          ///< `node`'s deadline (armed at generation `ref`) is reached
    storage_sync,   ///< `node`'s storage completes writes through id `ref`
    crash,          ///< `node` crashes
    restart,        ///< `node` restarts from its durable storage
    pause,          ///< `node` pauses (takes no event) until time `ref`
    fault,          ///< draw the next fault
    partition,      ///< a partition of kind `ref` starts
    heal,           ///< every partition heals
    client_wake,    ///< client `ref` acts (issues, retries, times out)
    client_reply,   ///< reply `ref` reaches its client
    request,        ///< client request `ref` reaches `node`
    quiesce,        ///< the fault phase ends
    churn,          ///< the leader is asked for a membership change
};

struct event {
    std::uint64_t time = 0;
    std::uint64_t sequence = 0;  ///< tie-breaker: scheduling order
    event_kind kind = event_kind::deliver;
    std::uint32_t node = 0;
    std::uint64_t ref = 0;
};

/// A min-heap of events by (time, sequence).
class scheduler {
public:
    void at(std::uint64_t time, event_kind kind, std::uint32_t node, std::uint64_t ref) {
        heap_.push(event{time, next_sequence_++, kind, node, ref});
    }
    bool empty() const noexcept { return heap_.empty(); }
    const event& top() const noexcept { return heap_.top(); }
    event pop() {
        event e = heap_.top();
        heap_.pop();
        return e;
    }
    std::size_t size() const noexcept { return heap_.size(); }

private:
    struct later {
        bool operator()(const event& a, const event& b) const noexcept {
            return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
        }
    };
    std::priority_queue<event, std::vector<event>, later> heap_;
    std::uint64_t next_sequence_ = 0;
};

}  // namespace synod::runtime::sim

#endif
