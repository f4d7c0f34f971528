#ifndef SYNOD_RUNTIME_ASIO_LOG_HPP
#define SYNOD_RUNTIME_ASIO_LOG_HPP

/// \file
/// The asio runtime's log: one line per event, prefixed with wall-clock time (UTC, ms) and the
/// node, written whole under a mutex (the fsync thread may log too) and flushed at once, so a
/// line survives a kill -9 right after it.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace synod::runtime::asio {

/// A line sink. Copies share the destination.
class logger {
public:
    /// Writes to `out` (stderr by default), each line prefixed by `prefix` (e.g. "node 2").
    explicit logger(std::string prefix = {}, std::FILE* out = stderr)
        : prefix_{std::move(prefix)}, out_{out} {}
    /// Sends every line to `sink` instead (tests).
    explicit logger(std::function<void(std::string_view)> sink) : sink_{std::move(sink)} {}

    void operator()(std::string_view line) const {
        if (sink_) {
            sink_(line);
            return;
        }
        if (!out_) return;
        const auto now = std::chrono::system_clock::now();
        const std::time_t secs = std::chrono::system_clock::to_time_t(now);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            now.time_since_epoch()).count() % 1000;
        std::tm tm{};
        ::gmtime_r(&secs, &tm);
        char stamp[96];
        std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                      static_cast<int>(ms));
        std::string text = stamp;
        text += ' ';
        if (!prefix_.empty()) {
            text += prefix_;
            text += ": ";
        }
        text += line;
        text += '\n';
        static std::mutex mutex;
        const std::lock_guard lock{mutex};
        std::fwrite(text.data(), 1, text.size(), out_);
        std::fflush(out_);
    }

private:
    std::string prefix_;
    std::FILE* out_ = nullptr;
    std::function<void(std::string_view)> sink_;
};

}  // namespace synod::runtime::asio

#endif
