#ifndef SYNOD_EXAMPLES_KV_RESP_HPP
#define SYNOD_EXAMPLES_KV_RESP_HPP

// The request half of the Redis protocol (RESP2): arrays of bulk strings, as redis-cli and
// redis-benchmark send, and inline commands (a line of words), as telnet sends. Bounds-checked:
// lengths are validated before anything is copied, and a malformed request is an error that
// closes the connection (as Redis does with "Protocol error").

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace synod_kv {

struct resp_limits {
    std::size_t args_max = 1u << 20;        ///< elements of one array
    std::size_t bulk_bytes_max = 64u << 20; ///< one argument
    std::size_t inline_bytes_max = 64u << 10;
};

enum class parse_status { incomplete, command, error };

namespace detail {
/// Reads a CRLF-terminated decimal integer at `at` (after the type byte).
inline parse_status read_number(std::string_view in, std::size_t& at, long long& v,
                                std::string& error, const char* what) {
    const std::size_t end = in.find("\r\n", at);
    if (end == std::string_view::npos) {
        if (in.size() - at > 32) {
            error = std::string{"Protocol error: invalid "} + what;
            return parse_status::error;
        }
        return parse_status::incomplete;
    }
    const auto [p, ec] = std::from_chars(in.data() + at, in.data() + end, v);
    if (ec != std::errc{} || p != in.data() + end) {
        error = std::string{"Protocol error: invalid "} + what;
        return parse_status::error;
    }
    at = end + 2;
    return parse_status::command;
}
}  // namespace detail

/// Parses one request from the front of `in`. On `command`, `args` holds it and `consumed` its
/// length; on `incomplete` nothing is consumed (call again with more bytes); on `error`,
/// `error` says why (the connection must be closed).
inline parse_status parse_request(std::string_view in, std::size_t& consumed,
                                  std::vector<std::string>& args, std::string& error,
                                  const resp_limits& limits = {}) {
    args.clear();
    if (in.empty()) return parse_status::incomplete;
    if (in[0] != '*') {
        // Inline command: words up to CRLF (or LF).
        const std::size_t end = in.find('\n');
        if (end == std::string_view::npos) {
            if (in.size() > limits.inline_bytes_max) {
                error = "Protocol error: too big inline request";
                return parse_status::error;
            }
            return parse_status::incomplete;
        }
        std::string_view line = in.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        for (char ch : line)
            if (ch == '\0' || ch == '"' || ch == '\'') {
                error = "Protocol error: unsupported characters in inline request";
                return parse_status::error;
            }
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            const std::size_t start = i;
            while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
            if (i > start) args.emplace_back(line.substr(start, i - start));
        }
        consumed = end + 1;
        return parse_status::command;
    }
    std::size_t at = 1;
    long long n = 0;
    if (const auto st = detail::read_number(in, at, n, error, "multibulk length");
        st != parse_status::command)
        return st;
    if (n < 0 || static_cast<unsigned long long>(n) > limits.args_max) {
        error = "Protocol error: invalid multibulk length";
        return parse_status::error;
    }
    // First pass: validate and find the end without copying.
    std::size_t scan = at;
    for (long long k = 0; k < n; ++k) {
        if (scan >= in.size()) return parse_status::incomplete;
        if (in[scan] != '$') {
            error = "Protocol error: expected '$', got '" + std::string(1, in[scan]) + "'";
            return parse_status::error;
        }
        ++scan;
        long long len = 0;
        if (const auto st = detail::read_number(in, scan, len, error, "bulk length");
            st != parse_status::command)
            return st;
        if (len < 0 || static_cast<unsigned long long>(len) > limits.bulk_bytes_max) {
            error = "Protocol error: invalid bulk length";
            return parse_status::error;
        }
        const auto ulen = static_cast<std::size_t>(len);
        if (in.size() - scan < ulen + 2) return parse_status::incomplete;
        if (in.substr(scan + ulen, 2) != "\r\n") {
            error = "Protocol error: bulk string not terminated by CRLF";
            return parse_status::error;
        }
        scan += ulen + 2;
    }
    // Second pass: copy.
    args.reserve(static_cast<std::size_t>(n));
    for (long long k = 0; k < n; ++k) {
        ++at;
        long long len = 0;
        detail::read_number(in, at, len, error, "bulk length");
        args.emplace_back(in.substr(at, static_cast<std::size_t>(len)));
        at += static_cast<std::size_t>(len) + 2;
    }
    consumed = at;
    return parse_status::command;
}

}  // namespace synod_kv

#endif
