#ifndef SYNOD_RUNTIME_ASIO_TIMER_HPP
#define SYNOD_RUNTIME_ASIO_TIMER_HPP

/// \file
/// The timer policy of a node on Boost.Asio: one steady_timer, one tick per millisecond of
/// std::chrono::steady_clock since the node started. arm() replaces the deadline; when it
/// passes, the callback runs on the io_context's thread (never inside the node's own call).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "synod/core/concepts/timer.hpp"
#include "synod/core/ids.hpp"

namespace synod::runtime::asio {

/// The clock and deadline of one node; the timer policy points at it. Lives on the io_context
/// thread; `on_fire` is set by the runtime before the node starts.
class deadline_timer {
public:
    explicit deadline_timer(boost::asio::io_context& io)
        : timer_{io}, epoch_{std::chrono::steady_clock::now()} {}

    /// Milliseconds since construction.
    time_point now() const noexcept {
        return time_point{static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  epoch_)
                .count())};
    }

    /// Calls on_fire at or after `deadline` (replacing any earlier arm); time_never disarms.
    void arm(time_point deadline) {
        deadline_ = deadline;
        ++generation_;
        if (deadline == time_never) {
            timer_.cancel();
            return;
        }
        timer_.expires_at(epoch_ + std::chrono::milliseconds(deadline.value));
        const std::uint64_t g = generation_;
        timer_.async_wait([this, g](const boost::system::error_code& ec) {
            if (ec || g != generation_ || stopped_) return;  // cancelled or replaced
            if (on_fire) on_fire();
        });
    }

    void stop() {
        stopped_ = true;
        timer_.cancel();
    }
    time_point deadline() const noexcept { return deadline_; }

    std::function<void()> on_fire;

private:
    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point epoch_;
    time_point deadline_ = time_never;
    std::uint64_t generation_ = 0;
    bool stopped_ = false;
};

/// The timer policy (core/concepts/timer.hpp): a pointer to the node's deadline_timer.
struct timer {
    deadline_timer* t = nullptr;
    time_point now() const noexcept { return t->now(); }
    void arm(time_point deadline) { t->arm(deadline); }
};

static_assert(synod::timer<timer>);

}  // namespace synod::runtime::asio

#endif
