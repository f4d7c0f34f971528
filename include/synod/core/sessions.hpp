#ifndef SYNOD_CORE_SESSIONS_HPP
#define SYNOD_CORE_SESSIONS_HPP

/// \file
/// Client sessions (Raft thesis 6.3): exactly-once application of client commands. A client
/// numbers its commands 1, 2, 3, ... and retries a command with the same number; the replicated
/// state machine executes each (client, sequence) at most once and answers a retry with the
/// answer it gave the first time.
///
/// Memory is bounded: at most `MaxClients` sessions, each holding only its latest answer, and a
/// session idle for `expiry_entries` log entries is forgotten (expiry in log time, so every
/// replica forgets the same sessions at the same entry). When the table is full the session idle
/// the longest is evicted, again the same on every replica. A command from a forgotten session
/// with a sequence number above 1 is answered `session_expired` rather than executed, because
/// it could be a retry of one already applied.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

#include "synod/core/entry.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/static_vector.hpp"

namespace synod {

/// What a session table says about a command.
enum class session_verdict : std::uint8_t {
    execute,    ///< new: execute it, then record() its answer
    duplicate,  ///< already executed: answer with the recorded answer
    stale,      ///< older than the session's latest command: its answer is gone; do nothing
    expired,    ///< the session was forgotten and this may be a retry: refuse it
};

/// Sessions of up to `MaxClients` clients, each remembering its latest answer of type `Answer`.
template <class Answer, std::size_t MaxClients = 1024>
class session_table {
public:
    /// `expiry_entries`: a session with no command for this many log entries is forgotten.
    explicit session_table(std::uint64_t expiry_entries = 1'000'000) noexcept
        : expiry_{expiry_entries} {}

    /// Judges command `sequence` (>= 1) of `client`, applied at log index `index`.
    session_verdict check(std::uint64_t client, std::uint64_t sequence, log_index index) {
        expire(index);
        const session* s = find(client);
        if (!s) return sequence <= 1 ? session_verdict::execute : session_verdict::expired;
        if (sequence == s->sequence) return session_verdict::duplicate;
        if (sequence < s->sequence) return session_verdict::stale;
        return session_verdict::execute;
    }

    /// Records the answer to command `sequence` of `client`, executed at `index`.
    void record(std::uint64_t client, std::uint64_t sequence, Answer answer, log_index index) {
        session* s = find(client);
        if (!s) {
            if (sessions_.full()) evict_idlest();
            s = &sessions_.emplace_back();
            s->client = client;
        }
        s->sequence = sequence;
        s->answer = std::move(answer);
        s->last_index = index;
    }

    /// The recorded answer to command `sequence` of `client`, if it is the latest one.
    const Answer* answer(std::uint64_t client, std::uint64_t sequence) const noexcept {
        const session* s = find(client);
        return s && s->sequence == sequence ? &s->answer : nullptr;
    }

    /// Sessions held now.
    std::size_t size() const noexcept { return sessions_.size(); }
    /// Most sessions held; past it, the idlest session is forgotten.
    static constexpr std::size_t capacity() noexcept { return MaxClients; }

private:
    struct session {
        std::uint64_t client = 0;
        std::uint64_t sequence = 0;
        Answer answer{};
        log_index last_index{};
    };

    session* find(std::uint64_t client) noexcept {
        for (session& s : sessions_)
            if (s.client == client) return &s;
        return nullptr;
    }
    const session* find(std::uint64_t client) const noexcept {
        for (const session& s : sessions_)
            if (s.client == client) return &s;
        return nullptr;
    }
    void expire(log_index now) {
        for (std::size_t i = 0; i < sessions_.size();) {
            if (sessions_[i].last_index.value + expiry_ < now.value) {
                sessions_.erase(sessions_.begin() + i);
            } else {
                ++i;
            }
        }
    }
    void evict_idlest() {
        std::size_t idlest = 0;
        for (std::size_t i = 1; i < sessions_.size(); ++i)
            if (sessions_[i].last_index < sessions_[idlest].last_index) idlest = i;
        sessions_.erase(sessions_.begin() + idlest);
    }

    static_vector<session, MaxClients> sessions_;
    std::uint64_t expiry_;
};

/// A state machine that applies each client command exactly once. `Inner` executes commands:
///   inner.execute(const Payload&) -> Answer
/// and `Key` extracts the session key of a payload:
///   Key{}(const Payload&) -> std::optional<std::pair<std::uint64_t, std::uint64_t>>
///       (client, sequence), or nullopt for a command outside any session (always executed)
/// Entries that are not client commands (no-ops, configuration) are passed over.
template <class Inner, class Key, class Answer, std::size_t MaxClients = 1024>
class exactly_once {
public:
    /// Wraps `inner`; a session idle for `expiry_entries` log entries is forgotten.
    explicit exactly_once(Inner inner = {}, std::uint64_t expiry_entries = 1'000'000)
        : inner_{std::move(inner)}, sessions_{expiry_entries} {}

    template <class Payload>
    /// The state machine policy: executes a client command unless its session already did.
    void apply(const entry<Payload>& e) {
        if (e.kind != entry_kind::normal) return;
        const auto key = Key{}(e.payload);
        if (!key) {
            (void)inner_.execute(e.payload);
            return;
        }
        const auto [client, sequence] = *key;
        last_verdict_ = sessions_.check(client, sequence, e.index);
        if (last_verdict_ == session_verdict::execute)
            sessions_.record(client, sequence, inner_.execute(e.payload), e.index);
    }

    /// The answer to a client's command once applied (nullptr before, or if superseded).
    const Answer* answer(std::uint64_t client, std::uint64_t sequence) const noexcept {
        return sessions_.answer(client, sequence);
    }
    /// How the last client command applied was judged.
    session_verdict last_verdict() const noexcept { return last_verdict_; }
    ///@{
    /// The wrapped state machine.
    Inner& inner() noexcept { return inner_; }
    const Inner& inner() const noexcept { return inner_; }
    ///@}
    /// The client sessions, for inspection.
    const session_table<Answer, MaxClients>& sessions() const noexcept { return sessions_; }

private:
    Inner inner_;
    session_table<Answer, MaxClients> sessions_;
    session_verdict last_verdict_ = session_verdict::execute;
};

}  // namespace synod

#endif
