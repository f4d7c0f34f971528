#ifndef SYNOD_RUNTIME_ASIO_SYNC_THREAD_HPP
#define SYNOD_RUNTIME_ASIO_SYNC_THREAD_HPP

/// \file
/// The thread that writes and fsyncs, off the event loop (DESIGN 3, "storage completing
/// later"). Jobs run one at a time in submission order; each job's completion is posted back to
/// the io_context, where the node lives, with the exception the job threw (if any).

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace synod::runtime::asio {

class sync_thread {
public:
    explicit sync_thread(boost::asio::io_context& io) : io_{io}, thread_{[this] { run(); }} {}
    sync_thread(const sync_thread&) = delete;
    sync_thread& operator=(const sync_thread&) = delete;
    ~sync_thread() {
        {
            const std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }

    /// Runs `work` on the sync thread, then `done(error)` on the io_context's thread.
    void submit(std::function<void()> work, std::function<void(std::exception_ptr)> done) {
        {
            const std::lock_guard lock{mutex_};
            jobs_.push_back({std::move(work), std::move(done)});
        }
        wake_.notify_one();
    }

private:
    struct job {
        std::function<void()> work;
        std::function<void(std::exception_ptr)> done;
    };
    void run() {
        while (true) {
            job j;
            {
                std::unique_lock lock{mutex_};
                wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty()) return;
                j = std::move(jobs_.front());
                jobs_.pop_front();
            }
            std::exception_ptr error;
            try {
                j.work();
            } catch (...) {
                error = std::current_exception();
            }
            boost::asio::post(io_, [done = std::move(j.done), error] { done(error); });
        }
    }

    boost::asio::io_context& io_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<job> jobs_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace synod::runtime::asio

#endif
