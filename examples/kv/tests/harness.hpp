#ifndef SYNOD_EXAMPLES_KV_TESTS_HARNESS_HPP
#define SYNOD_EXAMPLES_KV_TESTS_HARNESS_HPP

// What synod-kv's process-level tests share: free loopback ports, synod-kv processes started
// with fork/exec and killed with SIGKILL, and a small blocking Redis client with timeouts.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kv_test {

using namespace std::chrono_literals;

inline bool port_free(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

/// `count` consecutive free ports from `base` (moving up in steps of 40 if some are taken).
inline std::uint16_t free_ports(std::uint16_t base, int count) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        const auto b = static_cast<std::uint16_t>(base + attempt * 40);
        bool all = true;
        for (int i = 0; i < count && all; ++i) all = port_free(static_cast<std::uint16_t>(b + i));
        if (all) return b;
    }
    std::fprintf(stderr, "no free ports near %u\n", base);
    std::exit(1);
}

/// One synod-kv node of a local cluster.
struct node_process {
    int id = 0;
    std::uint16_t client_port = 0;
    std::vector<std::string> args;
    std::string log;
    pid_t pid = -1;
    int last_status = 0;  ///< waitpid status of the last exit noticed by alive()

    void start() {
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t p = ::fork();
        if (p == 0) {
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        pid = p;
    }
    void kill9() {
        if (pid <= 0) return;
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        pid = -1;
    }
    /// SIGTERM, then SIGKILL after 3 s; true if it exited by itself.
    bool stop() {
        if (pid <= 0) return true;
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 300; ++i) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return true;
            }
            std::this_thread::sleep_for(10ms);
        }
        kill9();
        return false;
    }
    bool alive() {
        if (pid <= 0) return false;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            last_status = status;
            return false;
        }
        return true;
    }
};

/// A local cluster of synod-kv processes.
struct cluster {
    std::string dir;
    std::vector<node_process> nodes;

    cluster(const std::string& binary, const std::string& protocol, std::uint16_t base, int n,
            const std::vector<std::string>& extra, const std::string& name = "") {
        dir = (std::filesystem::temp_directory_path() /
               ("synod-kv-test-" + std::to_string(::getpid()) + name))
                  .string();
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        const std::uint16_t b = free_ports(base, 2 * n + 1);
        std::string peers;
        for (int i = 1; i <= n; ++i) {
            if (i > 1) peers += ",";
            peers += "127.0.0.1:" + std::to_string(b + n + i) + ":" + std::to_string(b + i);
        }
        for (int i = 1; i <= n; ++i) {
            node_process p;
            p.id = i;
            p.client_port = static_cast<std::uint16_t>(b + i);
            p.args = {binary, "--id", std::to_string(i), "--peers", peers, "--data-dir",
                      dir + "/n" + std::to_string(i), "--protocol", protocol};
            p.args.insert(p.args.end(), extra.begin(), extra.end());
            p.log = dir + "/n" + std::to_string(i) + ".log";
            nodes.push_back(p);
        }
    }
    std::uint16_t peer_port(int i) const {
        return static_cast<std::uint16_t>(nodes[0].client_port - 1 + nodes.size() + static_cast<std::size_t>(i));
    }
    void start_all() {
        for (auto& p : nodes) p.start();
    }
    void stop_all() {
        for (auto& p : nodes) p.stop();
    }
    /// Every log line of every node containing `needle`.
    std::vector<std::string> grep(const std::string& needle) const {
        std::vector<std::string> out;
        for (const auto& p : nodes) {
            std::ifstream f{p.log};
            std::string line;
            while (std::getline(f, line))
                if (line.find(needle) != std::string::npos) out.push_back(line);
        }
        return out;
    }
};

/// A Redis reply.
struct reply {
    char type = 0;  ///< '+', '-', ':', '$', '*'; 0 if none arrived (timeout or closed)
    std::string text;
    bool nil = false;
    std::vector<reply> items;
};

/// A blocking Redis client with a receive timeout.
class client {
public:
    client() = default;
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() { close(); }

    bool connect(std::uint16_t port, std::chrono::milliseconds timeout = 3000ms) {
        close();
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd_ < 0) return false;
        timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            close();
            return false;
        }
        port_ = port;
        return true;
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        buffer_.clear();
    }
    bool connected() const noexcept { return fd_ >= 0; }
    std::uint16_t port() const noexcept { return port_; }

    bool send_raw(const std::string& bytes) {
        std::size_t at = 0;
        while (at < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n <= 0) return false;
            at += static_cast<std::size_t>(n);
        }
        return true;
    }
    /// Sends one command and waits for its reply (type 0 on timeout or a closed connection).
    reply call(const std::vector<std::string>& args) {
        std::string req = "*" + std::to_string(args.size()) + "\r\n";
        for (const auto& a : args) req += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
        if (fd_ < 0 || !send_raw(req)) return {};
        return read_reply();
    }
    reply read_reply() {
        reply r;
        if (!parse(r)) return {};
        return r;
    }
    /// True if the server closes the connection within the receive timeout (reading and
    /// discarding whatever it sends first).
    bool closed_by_server() {
        char b[4096];
        while (true) {
            const ssize_t n = ::recv(fd_, b, sizeof b, 0);
            if (n == 0) return true;
            if (n < 0) return errno == ECONNRESET;
        }
    }

private:
    bool fill() {
        char b[8192];
        const ssize_t n = ::recv(fd_, b, sizeof b, 0);
        if (n <= 0) return false;
        buffer_.append(b, static_cast<std::size_t>(n));
        return true;
    }
    bool line(std::string& out) {
        while (true) {
            const std::size_t e = buffer_.find("\r\n");
            if (e != std::string::npos) {
                out = buffer_.substr(0, e);
                buffer_.erase(0, e + 2);
                return true;
            }
            if (!fill()) return false;
        }
    }
    bool parse(reply& r) {
        std::string l;
        if (!line(l) || l.empty()) return false;
        r.type = l[0];
        r.text = l.substr(1);
        if (r.type == '$') {
            const long long n = std::atoll(r.text.c_str());
            if (n < 0) {
                r.nil = true;
                return true;
            }
            while (buffer_.size() < static_cast<std::size_t>(n) + 2)
                if (!fill()) return false;
            r.text = buffer_.substr(0, static_cast<std::size_t>(n));
            buffer_.erase(0, static_cast<std::size_t>(n) + 2);
        } else if (r.type == '*') {
            const long long n = std::atoll(r.text.c_str());
            for (long long i = 0; i < n; ++i) {
                reply item;
                if (!parse(item)) return false;
                r.items.push_back(item);
            }
        }
        return true;
    }
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::string buffer_;
};

/// The value of `field` in an INFO answer, or "".
inline std::string info_field(const std::string& info, const std::string& field) {
    std::istringstream in{info};
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.starts_with(field + ":")) return line.substr(field.size() + 1);
    }
    return {};
}

/// INFO from the node on `port` (empty on failure).
inline std::string info(std::uint16_t port) {
    client c;
    if (!c.connect(port, 1000ms)) return {};
    const reply r = c.call({"INFO"});
    return r.type == '$' ? r.text : std::string{};
}

/// The node index (from 1) that reports itself leader, or 0.
inline int find_leader(cluster& cl) {
    for (auto& p : cl.nodes)
        if (p.alive() && info_field(info(p.client_port), "synod_role") == "leader") return p.id;
    return 0;
}

inline int wait_leader(cluster& cl, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (const int l = find_leader(cl)) return l;
        std::this_thread::sleep_for(50ms);
    }
    return 0;
}

/// A numeric INFO field of the node on `port` (0 if unavailable).
inline std::uint64_t info_number(std::uint16_t port, const std::string& field) {
    const std::string v = info_field(info(port), field);
    return v.empty() ? 0 : std::stoull(v);
}

/// The client port of the leader, waiting for one (0 if none within the limit).
inline std::uint16_t leader_port(cluster& cl, std::chrono::milliseconds limit = 20000ms) {
    const int l = wait_leader(cl, limit);
    return l ? cl.nodes[static_cast<std::size_t>(l - 1)].client_port : 0;
}

/// Waits (up to 30 s) until node `p` has applied at least `index`.
inline bool caught_up(node_process& p, std::uint64_t index) {
    for (int i = 0; i < 300; ++i) {
        if (p.alive() && info_number(p.client_port, "applied_index") >= index) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

}  // namespace kv_test

#endif
