#ifndef SYNOD_CORE_ASSERT_HPP
#define SYNOD_CORE_ASSERT_HPP

/// \file
/// SYNOD_ASSERT: the one assertion macro of synod.
///
/// It checks synod's own invariants (programmer errors), never input: stale or malformed
/// messages are answered or dropped, bad bytes are rejected with an error value. It stays on in
/// release builds, because a replica that carries on in a state it cannot explain is worse than
/// one that stops.
///
/// Customise it in one of two ways, for the whole program:
///  - define SYNOD_ASSERT yourself before any synod header (from the build), or
///  - install a handler with synod::set_assert_handler(); the default prints nothing and calls
///    std::abort() (no I/O in the cores), the handler may log first.

#include <cstdlib>

namespace synod {

/// Called with the failed expression text, file and line; must not return.
using assert_handler = void (*)(const char* expression, const char* file, int line);

namespace detail {
inline assert_handler& current_assert_handler() noexcept {
    static assert_handler handler = nullptr;
    return handler;
}

// Not noexcept, so that a test's handler may throw to observe a failure.
[[noreturn]] inline void assert_failed(const char* expression, const char* file, int line) {
    if (assert_handler h = current_assert_handler()) h(expression, file, line);
    std::abort();
}
}  // namespace detail

/// Installs `h` (nullptr restores the default) and returns the previous handler. If `h` returns,
/// std::abort() is called after it.
inline assert_handler set_assert_handler(assert_handler h) noexcept {
    assert_handler previous = detail::current_assert_handler();
    detail::current_assert_handler() = h;
    return previous;
}

}  // namespace synod

#ifndef SYNOD_ASSERT
/// Checks an invariant of synod's own state: if the expression is false, calls the handler
/// set by set_assert_handler() and aborts. On in release builds too (STYLE: a replica in a
/// state it cannot explain must stop). Define it for the whole program to replace it.
#define SYNOD_ASSERT(...)                  \
    (static_cast<bool>(__VA_ARGS__) ? void(0) \
                                    : ::synod::detail::assert_failed(#__VA_ARGS__, __FILE__, __LINE__))
#endif

#endif
