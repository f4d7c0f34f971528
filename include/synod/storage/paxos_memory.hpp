#ifndef SYNOD_STORAGE_PAXOS_MEMORY_HPP
#define SYNOD_STORAGE_PAXOS_MEMORY_HPP

/// \file
/// Heap-backed storage for Paxos acceptors, in two flavours each:
///  - memory_acceptor / memory_paxos_log: every write is durable when it returns (inline), as
///    with a blocking fsync;
///  - deferred_acceptor / deferred_paxos_log: writes become durable only when the caller says
///    (complete_through), a model of an fsync that has not returned yet; crash() loses every write
///    that was not durable. Tests use them to prove that no promise or accepted reply leaves an
///    acceptor before the state it promises is durable (DESIGN 3).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/ids.hpp"

namespace synod::storage {

// ---- single-decree -------------------------------------------------------------------------

/// One acceptor's promised ballot and accepted proposal, in memory. Models acceptor_storage;
/// durable at once.
template <class Value>
class memory_acceptor {
public:
    using value_type = Value;

    memory_acceptor() = default;
    /// Starts as a restarted acceptor would, with this state.
    memory_acceptor(ballot promised, std::optional<proposal<Value>> accepted)
        : promised_{promised}, accepted_{std::move(accepted)} {}

    write_id durable() const noexcept { return last_write_; }
    ballot promised() const noexcept { return promised_; }
    std::optional<proposal<Value>> accepted() const { return accepted_; }

    write_id save_promise(ballot b) {
        SYNOD_ASSERT(promised_ <= b);
        promised_ = b;
        return ++last_write_;
    }
    write_id save_accepted(const proposal<Value>& p) {
        SYNOD_ASSERT(promised_ <= p.number);
        promised_ = p.number;
        accepted_ = p;
        return ++last_write_;
    }

private:
    ballot promised_{};
    std::optional<proposal<Value>> accepted_;
    write_id last_write_{0};
};

/// An acceptor's state whose writes complete when told. Reads see every write; crash() keeps
/// only the durable ones.
template <class Value>
class deferred_acceptor {
public:
    using value_type = Value;

    deferred_acceptor() = default;

    write_id durable() const noexcept { return durable_id_; }
    ballot promised() const noexcept { return current_.promised(); }
    std::optional<proposal<Value>> accepted() const { return current_.accepted(); }

    write_id save_promise(ballot b) {
        current_.save_promise(b);
        pending_.push_back({++issued_, current_});
        return issued_;
    }
    write_id save_accepted(const proposal<Value>& p) {
        current_.save_accepted(p);
        pending_.push_back({++issued_, current_});
        return issued_;
    }

    /// The id of the last write issued, durable or not.
    write_id issued() const noexcept { return issued_; }
    /// Makes every write up to `w` durable.
    void complete_through(write_id w) {
        while (!pending_.empty() && pending_.front().first <= w) {
            durable_ = pending_.front().second;
            durable_id_ = pending_.front().first;
            pending_.pop_front();
        }
    }
    void complete_all() { complete_through(issued_); }
    /// Loses every write that is not durable, as a power loss would.
    void crash() {
        pending_.clear();
        current_ = durable_;
        issued_ = durable_id_;
    }
    /// What a restart would read back.
    const memory_acceptor<Value>& durable_state() const noexcept { return durable_; }

private:
    memory_acceptor<Value> current_;
    memory_acceptor<Value> durable_;
    std::deque<std::pair<write_id, memory_acceptor<Value>>> pending_;
    write_id issued_{0};
    write_id durable_id_{0};
};

// ---- Multi-Paxos ---------------------------------------------------------------------------

/// A Multi-Paxos acceptor's promised ballot and log of pvalues in a std::vector, with an optional
/// snapshot in front. Models multi_acceptor_storage, snapshot_storage and
/// bounded_paxos_log_storage; durable at once. Capacity is kept, so a warmed-up log accepts
/// without allocating (reserve() to start warm). A write may leave holes (slots skipped), but at
/// most `holes_max` slots beyond the last one held: holes cost memory, and only a faulty or
/// hostile peer asks for millions (a lagging acceptor catches up from its commit index).
template <class Payload, class Snapshot = no_snapshot>
class memory_paxos_log {
public:
    using payload_type = Payload;
    using pvalue_type = pvalue<Payload>;
    using snapshot_type = Snapshot;

    static constexpr std::uint64_t holes_max = 1u << 16;

    void reserve(std::size_t slots) { log_.reserve(slots); }

    write_id durable() const noexcept { return last_write_; }
    ballot promised() const noexcept { return promised_; }
    log_index first_index() const noexcept { return base_.next(); }
    log_index last_index() const noexcept { return base_ + log_.size(); }
    /// Whether save_accepted() may write slots first..last.
    bool can_accept(log_index first, log_index last) const noexcept {
        if (!(base_ < first && first <= last)) return false;
        return last <= last_index() || last.value - last_index().value <= holes_max;
    }
    std::span<const pvalue_type> entries(log_index lo, log_index hi) const noexcept {
        SYNOD_ASSERT(base_ < lo);
        SYNOD_ASSERT(lo <= hi);
        SYNOD_ASSERT(hi <= last_index());
        return {log_.data() + (lo - base_ - 1), static_cast<std::size_t>(hi - lo + 1)};
    }
    /// The pvalue at slot `i` (pre: first_index() <= i <= last_index()).
    const pvalue_type& at(log_index i) const noexcept { return entries(i, i)[0]; }
    /// Every slot held, for inspection in tests and checkers.
    std::span<const pvalue_type> all() const noexcept { return log_; }

    write_id save_promise(ballot b) {
        SYNOD_ASSERT(promised_ <= b);
        promised_ = b;
        return ++last_write_;
    }
    write_id save_accepted(ballot b, std::span<const pvalue_type> vs) {
        SYNOD_ASSERT(!vs.empty());
        SYNOD_ASSERT(promised_ <= b);
        promised_ = b;
        for (const pvalue_type& v : vs) {
            const log_index slot = v.value.index;
            SYNOD_ASSERT(base_ < slot);
            const auto at = static_cast<std::size_t>(slot - base_ - 1);
            if (at == log_.size()) {
                log_.push_back(pvalue_type{b, v.value});
            } else {
                if (at > log_.size()) grow_to(at + 1);
                log_[at].number = b;
                log_[at].value = v.value;
            }
        }
        return ++last_write_;
    }

    log_index snapshot_index() const noexcept { return base_; }
    const Snapshot& snapshot() const noexcept { return snapshot_; }
    write_id save_snapshot(log_index i, const Snapshot& snap) {
        snapshot_ = snap;
        if (i <= base_) return ++last_write_;
        const auto drop = static_cast<std::size_t>(i - base_);
        if (drop >= log_.size()) {
            log_.clear();
        } else {
            log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(drop));
        }
        base_ = i;
        return ++last_write_;
    }

private:
    void grow_to(std::size_t n) {
        const log_index first = base_ + log_.size() + 1;
        std::size_t k = 0;
        while (log_.size() < n) {
            pvalue_type hole{};
            hole.value.index = first + k++;
            log_.push_back(hole);
        }
    }

    ballot promised_{};
    std::vector<pvalue_type> log_;
    log_index base_{0};
    Snapshot snapshot_{};
    write_id last_write_{0};
};

/// A Multi-Paxos log whose writes complete when told. Reads see every write; crash() keeps only
/// the durable ones (the state a restarted replica reads back).
template <class Payload, class Snapshot = no_snapshot>
class deferred_paxos_log {
public:
    using payload_type = Payload;
    using pvalue_type = pvalue<Payload>;
    using snapshot_type = Snapshot;

    write_id durable() const noexcept { return durable_id_; }
    ballot promised() const noexcept { return current_.promised(); }
    log_index first_index() const noexcept { return current_.first_index(); }
    log_index last_index() const noexcept { return current_.last_index(); }
    bool can_accept(log_index first, log_index last) const noexcept {
        return current_.can_accept(first, last);
    }
    std::span<const pvalue_type> entries(log_index lo, log_index hi) const noexcept {
        return current_.entries(lo, hi);
    }
    const pvalue_type& at(log_index i) const noexcept { return current_.at(i); }
    std::span<const pvalue_type> all() const noexcept { return current_.all(); }
    log_index snapshot_index() const noexcept { return current_.snapshot_index(); }
    const Snapshot& snapshot() const noexcept { return current_.snapshot(); }

    write_id save_promise(ballot b) {
        current_.save_promise(b);
        return record(op{op_kind::promise, b, {}, {}, {}});
    }
    write_id save_accepted(ballot b, std::span<const pvalue_type> vs) {
        current_.save_accepted(b, vs);
        return record(op{op_kind::accepted, b, std::vector<pvalue_type>(vs.begin(), vs.end()),
                         {}, {}});
    }
    write_id save_snapshot(log_index i, const Snapshot& snap) {
        current_.save_snapshot(i, snap);
        return record(op{op_kind::snapshot, {}, {}, i, snap});
    }

    write_id issued() const noexcept { return issued_; }
    /// What a restart would read back: the state after every durable write.
    const memory_paxos_log<Payload, Snapshot>& durable_state() const noexcept { return durable_; }
    /// Makes every write up to `w` durable.
    void complete_through(write_id w) {
        while (!pending_.empty() && pending_.front().id <= w) {
            op& o = pending_.front();
            switch (o.kind) {
                case op_kind::promise: durable_.save_promise(o.number); break;
                case op_kind::accepted: durable_.save_accepted(o.number, o.values); break;
                case op_kind::snapshot: durable_.save_snapshot(o.index, o.snap); break;
            }
            durable_id_ = o.id;
            pending_.pop_front();
        }
    }
    void complete_all() { complete_through(issued_); }
    /// Loses every write that is not durable, as a power loss would.
    void crash() {
        pending_.clear();
        current_ = durable_;
        issued_ = durable_id_;
    }

private:
    enum class op_kind { promise, accepted, snapshot };
    struct op {
        op_kind kind;
        ballot number;
        std::vector<pvalue_type> values;
        log_index index;
        Snapshot snap;
        write_id id{};
    };
    write_id record(op o) {
        o.id = ++issued_;
        pending_.push_back(std::move(o));
        return issued_;
    }

    memory_paxos_log<Payload, Snapshot> current_;
    memory_paxos_log<Payload, Snapshot> durable_;
    std::deque<op> pending_;
    write_id issued_{0};
    write_id durable_id_{0};
};

static_assert(acceptor_storage<memory_acceptor<int>, int>);
static_assert(acceptor_storage<deferred_acceptor<int>, int>);
static_assert(multi_acceptor_storage<memory_paxos_log<int>, int>);
static_assert(multi_acceptor_storage<deferred_paxos_log<int>, int>);
static_assert(snapshot_storage<memory_paxos_log<int>, no_snapshot>);
static_assert(snapshot_storage<deferred_paxos_log<int>, no_snapshot>);
static_assert(bounded_paxos_log_storage<memory_paxos_log<int>>);
static_assert(bounded_paxos_log_storage<deferred_paxos_log<int>>);

}  // namespace synod::storage

#endif
