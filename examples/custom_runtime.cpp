// Your own runtime in one screen: three Raft nodes in one process, each on its own UDP socket on
// 127.0.0.1, driven by a hand-written poll() loop. No asio, no threads, no synod runtime: the
// loop below is the whole contract a runtime owes a node.
//
//   - deliver messages:   bytes from a socket -> codec::read_frame + decode -> node.on(message)
//   - fire timers:        the timer policy's now() is a millisecond clock; arm() records one
//                         deadline per node; the loop calls node.on(timeout{}) once it passes
//   - report durability:  storage::deferred_log holds writes until the loop "syncs" them (here it
//                         marks them durable, as an fsync would), then node.on(writes_durable{})
//   - apply:              the node calls the state machine's apply() for each committed entry
//
// The node elects a leader, commits 100 commands, and the program checks that every node applied
// the same commands in the same order. Exits non-zero if any check fails.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <synod/codec/frame.hpp>
#include <synod/codec/raft.hpp>
#include <synod/raft/node.hpp>
#include <synod/storage/deferred.hpp>

namespace {

using command = std::string;
using codec = synod::codec::raft_codec<command>;
constexpr std::uint64_t cluster_id = 42;  // frames of another cluster are refused
constexpr std::uint32_t cluster_size = 3;
constexpr std::size_t commands = 100;

// ---- the runtime: sockets, a clock and deadlines --------------------------------------------

struct endpoint {
    int fd = -1;
    sockaddr_in address{};
    synod::time_point deadline = synod::time_never;
};
struct runtime {
    std::array<endpoint, cluster_size + 1> endpoints;  // indexed by node id; 0 is "no node"
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    std::size_t bad_frames = 0;
    synod::time_point now() const {  // one tick is one millisecond
        const auto elapsed = std::chrono::steady_clock::now() - start;
        return synod::time_point{static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count())};
    }
};

/// Transport policy: one frame per datagram, encoded at once (a message and the entries it
/// borrows live only during send()). UDP may drop a datagram; Raft retries.
struct udp_transport {
    runtime* rt;
    synod::node_id self;
    std::string frame{};
    void send(synod::node_id to, const synod::raft::message<command>& m) {
        frame.clear();
        synod::codec::encode<codec>(m, cluster_id, frame);
        const sockaddr_in& dst = rt->endpoints[to.value].address;
        (void)::sendto(rt->endpoints[self.value].fd, frame.data(), frame.size(), 0,
                       reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
    }
};

/// Timer policy: the runtime's clock and one deadline per node, watched by the loop.
struct poll_timer {
    runtime* rt;
    synod::node_id self;
    synod::time_point now() const { return rt->now(); }
    void arm(synod::time_point deadline) { rt->endpoints[self.value].deadline = deadline; }
};

/// State machine policy: the commands applied, in order.
struct journal {
    std::vector<command> applied;
    void apply(const synod::entry<command>& e) {
        if (e.kind == synod::entry_kind::normal) applied.push_back(e.payload);
    }
};

struct traits {
    using payload = command;
    using storage = synod::storage::deferred_log<command>;
    using transport = udp_transport;
    using timer = poll_timer;
    using random = synod::xoshiro256;
    using state_machine = journal;
    static constexpr synod::raft::features features{.pre_vote = true, .check_quorum = true};
};
using node = synod::raft::node<traits>;

/// After every event: "fsync" what the node wrote, then tell it (group commit: one report covers
/// every write since the last). Its held-back acknowledgements leave now.
void sync(node& n) {
    while (n.storage().issued() != n.storage().durable()) {
        n.storage().complete_all();
        n.on(synod::writes_durable{});
    }
}

/// Delivers every datagram waiting on `n`'s socket.
void receive(runtime& rt, node& n, const synod::node_set& peers) {
    static char buffer[65536];
    for (;;) {
        const ssize_t size = ::recv(rt.endpoints[n.id().value].fd, buffer, sizeof buffer, 0);
        if (size < 0) return;  // EAGAIN: drained
        synod::codec::frame_view frame;
        codec::owned m;  // owns the entries the message borrows
        const auto limits = synod::codec::limits_for<codec>(cluster_id);
        if (synod::codec::read_frame({buffer, static_cast<std::size_t>(size)}, limits, frame) !=
                synod::codec::error::none ||
            synod::codec::decode<codec>(frame, peers, m) != synod::codec::error::none) {
            ++rt.bad_frames;  // bad bytes are dropped, never handed to the node
            continue;
        }
        n.on(m.message);
        sync(n);
    }
}

/// One turn of the loop: wait for a datagram or the next deadline, then deliver and fire.
void turn(runtime& rt, std::vector<std::unique_ptr<node>>& nodes, const synod::node_set& peers) {
    std::array<pollfd, cluster_size> fds{};
    synod::time_point next = synod::time_never;
    for (std::uint32_t i = 0; i < cluster_size; ++i) {
        fds[i] = pollfd{rt.endpoints[i + 1].fd, POLLIN, 0};
        next = std::min(next, rt.endpoints[i + 1].deadline);
    }
    // Wake at the next deadline, or after 50 ms anyway so that the caller's checks run.
    const synod::time_point now = rt.now();
    const int wait_ms = next <= now ? 0 : static_cast<int>(std::min<std::uint64_t>(next - now, 50));
    if (::poll(fds.data(), fds.size(), wait_ms) > 0) {
        for (std::uint32_t i = 0; i < cluster_size; ++i)
            if (fds[i].revents & POLLIN) receive(rt, *nodes[i], peers);
    }
    for (auto& n : nodes) {
        endpoint& e = rt.endpoints[n->id().value];
        if (e.deadline <= rt.now()) {
            e.deadline = synod::time_never;  // the node re-arms on every timeout
            n->on(synod::timeout{});
            sync(*n);
        }
    }
}

// ---- the program ----------------------------------------------------------------------------

int fail(const char* what) {
    std::fprintf(stderr, "custom_runtime: FAILED: %s\n", what);
    return 1;
}

}  // namespace

int main() {
    runtime rt;
    synod::configuration config;
    for (std::uint32_t i = 1; i <= cluster_size; ++i) config.voters.insert(synod::node_id{i});
    for (std::uint32_t i = 1; i <= cluster_size; ++i) {
        endpoint& e = rt.endpoints[i];
        e.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        e.address.sin_family = AF_INET;
        e.address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        e.address.sin_port = 0;  // any free port: concurrent runs never collide
        socklen_t length = sizeof e.address;
        if (e.fd < 0 || ::bind(e.fd, reinterpret_cast<sockaddr*>(&e.address), sizeof e.address) ||
            ::getsockname(e.fd, reinterpret_cast<sockaddr*>(&e.address), &length))
            return fail("cannot open a UDP socket on 127.0.0.1");
    }

    // Ticks are milliseconds. A generous election timeout keeps a loaded machine (a process
    // stalled for a while) from deposing the leader; datagrams stay far below 64 KiB.
    synod::raft::settings s;
    s.election_timeout_ticks = 400;
    s.heartbeat_interval_ticks = 40;
    s.entries_per_message_max = 16;
    s.bytes_per_message_max = 16 * 1024;
    std::vector<std::unique_ptr<node>> nodes;
    for (std::uint32_t i = 1; i <= cluster_size; ++i) {
        const synod::node_id id{i};
        nodes.push_back(std::make_unique<node>(id, config, s, traits::storage{},
                                               udp_transport{&rt, id}, poll_timer{&rt, id},
                                               synod::xoshiro256{i}, journal{}));
    }

    // The client: proposes "set x 0".."set x 99" to whichever node leads, up to 8 in flight,
    // until the leader has applied 100. Were a leader change to lose commands in flight, it
    // proposes more once the new leader's log is all committed; either way every node must end
    // with one and the same sequence.
    std::size_t proposed = 0;
    node* leader = nullptr;
    const auto deadline = rt.now() + 30'000;
    while (!leader || leader->state_machine().applied.size() < commands) {
        if (rt.now() > deadline) return fail("no leader committed 100 commands within 30 s");
        turn(rt, nodes, config.voters);
        leader = nullptr;
        for (auto& n : nodes)
            if (n->is_leader()) leader = n.get();
        if (!leader) continue;
        const std::size_t applied = leader->state_machine().applied.size();
        const bool settled = leader->commit_index() == leader->last_index();
        if (applied < commands && proposed < applied + 8 && (proposed < commands || settled)) {
            if (leader->propose("set x " + std::to_string(proposed))) ++proposed;
            sync(*leader);
        }
    }
    // Followers learn the commit index with the next heartbeat.
    const std::vector<command> reference = leader->state_machine().applied;
    for (bool same = false; !same;) {
        if (rt.now() > deadline) return fail("followers did not apply what the leader applied");
        turn(rt, nodes, config.voters);
        same = true;
        for (auto& n : nodes) same = same && n->state_machine().applied.size() >= reference.size();
    }

    int failures = 0;
    for (auto& n : nodes) {
        const auto& applied = n->state_machine().applied;
        const bool same = std::equal(reference.begin(), reference.end(), applied.begin());
        std::printf("node %u (%s): term %llu, commit %llu, applied %zu commands%s\n",
                    n->id().value, synod::raft::to_string(n->role()),
                    static_cast<unsigned long long>(n->term().value),
                    static_cast<unsigned long long>(n->commit_index().value), applied.size(),
                    same ? ", same sequence as the leader" : ", DIFFERENT sequence");
        if (!same) ++failures;
    }
    std::printf("node %u led; %zu commands committed over UDP in %llu ms; %zu bad frames\n",
                leader->id().value, reference.size(),
                static_cast<unsigned long long>(rt.now().value), rt.bad_frames);
    if (reference.size() < commands) ++failures;
    for (std::uint32_t i = 1; i <= cluster_size; ++i) ::close(rt.endpoints[i].fd);
    return failures == 0 ? 0 : fail("the nodes disagree");
}
