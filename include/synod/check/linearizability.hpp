#ifndef SYNOD_CHECK_LINEARIZABILITY_HPP
#define SYNOD_CHECK_LINEARIZABILITY_HPP

/// \file
/// A linearizability checker for client histories (RELIABILITY.md 4).
///
/// The search is Wing & Gong's ("Testing and verifying concurrent objects", 1993) with Lowe's
/// memoization of configurations ("Testing for linearizability", 2017), partitioned by key as
/// in Porcupine (anishathalye/porcupine) after Horn & Kroening ("Faster linearizability
/// checking via P-compositionality", 2015): a history is linearizable iff each key's
/// sub-history is, so each key is searched on its own.
///
/// Search, per partition: the operations' calls and returns, sorted by time (calls first on
/// equal times: intervals are closed), form a doubly-linked list. The candidates for the next
/// linearization point are the calls before the first remaining return. The search tries them
/// in order; one that the model accepts is "lifted" out of the list (call and return) and
/// pushed on a stack; reaching a return means the operations pending at that deadline cannot
/// all be placed, so the last choice is undone and the next candidate tried. A cache of
/// (set of linearized operations, model state) prunes branches reached before by another
/// order: their futures are identical. An open operation (no return) may be linearized anywhere
/// after its call; once every completed operation is placed, the open ones left are "never
/// took effect" (equivalently: placed last, where the model accepts them unconditionally).
///
/// Cost is exponential in the number of mutually concurrent operations of one key (the
/// window), not in the length of the history; a step budget turns a search that would not
/// finish into verdict::unknown, deterministically. Treat unknown as a failure to investigate.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "synod/check/history.hpp"
#include "synod/check/kv.hpp"
#include "synod/check/model.hpp"
#include "synod/core/assert.hpp"

namespace synod::check {

/// The outcome of a check.
enum class verdict : std::uint8_t {
    linearizable,
    not_linearizable,
    unknown,  ///< the step budget ran out before the search finished
};

constexpr std::string_view to_string(verdict v) noexcept {
    switch (v) {
        case verdict::linearizable: return "linearizable";
        case verdict::not_linearizable: return "not linearizable";
        case verdict::unknown: return "unknown (step budget exceeded)";
    }
    return "?";
}

/// Tuning of check_linearizability().
struct check_options {
    /// Search steps allowed per partition before its verdict is unknown. One step tries one
    /// candidate or undoes one choice; a few thousand concurrent-by-5 operations take a few
    /// steps each.
    std::uint64_t steps_max_per_partition = 20'000'000;
    /// Stop at the first failing (or unknown) partition, in key order. Otherwise every
    /// partition is checked and the smallest failing one is explained.
    bool stop_at_first_failure = false;
    /// Operations of the longest linearizable prefix shown in the explanation (the last ones).
    std::size_t prefix_shown_max = 8;
};

/// Why a partition is not linearizable, relative to the longest linearizable prefix found.
struct linearizability_failure {
    std::uint64_t partition = 0;        ///< the partition (the key, for kv_model)
    std::size_t operations = 0;         ///< operations checked in that partition
    std::vector<op_id> longest_prefix;  ///< a longest linearizable prefix, in linearization order
    std::string state_after_prefix;     ///< the model state it ends in
    op_id deadline{};                   ///< the first operation that returned and can't be placed
    /// The operations pending at that deadline (the deadline included), by invocation time:
    /// none of them can be linearized next. The smallest failing window of the history.
    std::vector<op_id> window;
    /// For each op of `window`: what the model would have answered after the prefix.
    std::vector<std::string> model_answers;
};

/// The result of check_linearizability().
struct check_result {
    verdict outcome = verdict::linearizable;
    std::uint64_t steps = 0;           ///< search steps, all partitions
    std::size_t partitions = 0;        ///< partitions checked
    std::size_t partitions_failed = 0; ///< not linearizable
    std::size_t partitions_unknown = 0;
    std::uint64_t unknown_partition = 0;  ///< the first unknown partition, if any
    /// Set when outcome is not_linearizable: the smallest failing partition (fewest operations).
    linearizability_failure failure;
    /// When linearizable: a linearization of every checked operation, partition after partition
    /// (open operations that never took effect are left out).
    std::vector<op_id> witness;
    /// A readable account of the outcome; for a failure, the key, the longest linearizable
    /// prefix, the window, and what each operation returned against what the model allowed.
    std::string explanation;

    explicit operator bool() const noexcept { return outcome == verdict::linearizable; }
};

namespace detail {

/// A growable hash set of (bitset of linearized ops, state id) configurations: the memo of
/// Lowe's algorithm. Entries live in one flat array; the table holds their indices.
class configuration_cache {
public:
    explicit configuration_cache(std::size_t words) : words_{words} { table_.assign(1024, 0); }

    /// Inserts (bits, state); false if it was there already.
    bool insert(const std::vector<std::uint64_t>& bits, std::uint32_t state, std::uint64_t hash) {
        if ((count_ + 1) * 2 > table_.size()) grow();
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const std::uint32_t slot = table_[i];
            if (slot == 0) {
                table_[i] = static_cast<std::uint32_t>(count_ + 1);
                hashes_.push_back(hash);
                data_.push_back(state);
                data_.insert(data_.end(), bits.begin(), bits.end());
                ++count_;
                return true;
            }
            if (hashes_[slot - 1] == hash && equal(slot - 1, bits, state)) return false;
        }
    }
    std::size_t size() const noexcept { return count_; }

private:
    bool equal(std::size_t entry, const std::vector<std::uint64_t>& bits,
               std::uint32_t state) const noexcept {
        const std::uint64_t* e = data_.data() + entry * (words_ + 1);
        return e[0] == state && std::equal(bits.begin(), bits.end(), e + 1);
    }
    void grow() {
        std::vector<std::uint32_t> bigger(table_.size() * 2, 0);
        const std::size_t mask = bigger.size() - 1;
        for (std::size_t entry = 0; entry < count_; ++entry) {
            std::size_t i = hashes_[entry] & mask;
            while (bigger[i] != 0) i = (i + 1) & mask;
            bigger[i] = static_cast<std::uint32_t>(entry + 1);
        }
        table_.swap(bigger);
    }

    std::size_t words_;
    std::size_t count_ = 0;
    std::vector<std::uint32_t> table_;  // entry index + 1, 0 when empty
    std::vector<std::uint64_t> hashes_;
    std::vector<std::uint64_t> data_;   // per entry: state id, then the bitset words
};

/// Distinct model states, each stored once and named by a dense id, so the stack and the
/// cache hold 32-bit ids and compare states by id.
template <class Model>
class state_table {
public:
    using state_type = typename Model::state_type;
    explicit state_table(const Model& m) : model_{m} { table_.assign(64, 0); }

    std::uint32_t intern(state_type s) {
        const std::uint64_t h = model_.hash(s);
        if ((states_.size() + 1) * 2 > table_.size()) grow();
        const std::size_t mask = table_.size() - 1;
        for (std::size_t i = h & mask;; i = (i + 1) & mask) {
            const std::uint32_t slot = table_[i];
            if (slot == 0) {
                states_.push_back(std::move(s));
                hashes_.push_back(h);
                table_[i] = static_cast<std::uint32_t>(states_.size());
                return static_cast<std::uint32_t>(states_.size() - 1);
            }
            if (hashes_[slot - 1] == h && states_[slot - 1] == s) return slot - 1;
        }
    }
    const state_type& operator[](std::uint32_t id) const noexcept { return states_[id]; }

private:
    void grow() {
        std::vector<std::uint32_t> bigger(table_.size() * 2, 0);
        const std::size_t mask = bigger.size() - 1;
        for (std::size_t k = 0; k < states_.size(); ++k) {
            std::size_t i = hashes_[k] & mask;
            while (bigger[i] != 0) i = (i + 1) & mask;
            bigger[i] = static_cast<std::uint32_t>(k + 1);
        }
        table_.swap(bigger);
    }

    const Model& model_;
    std::vector<state_type> states_;
    std::vector<std::uint64_t> hashes_;
    std::vector<std::uint32_t> table_;
};

/// The outcome of searching one partition.
struct partition_outcome {
    verdict outcome = verdict::linearizable;
    std::uint64_t steps = 0;
};

/// The WGL search with Lowe's memoization over the operations of one partition.
template <class Model>
class wgl_search {
public:
    using state_type = typename Model::state_type;

    /// `ops` are the partition's operations (pointers into the history), in any order.
    wgl_search(const Model& model, std::vector<const operation*> ops)
        : model_{model}, ops_{std::move(ops)}, states_{model} {
        build_events();
    }

    partition_outcome run(std::uint64_t steps_max) {
        const std::size_t n = ops_.size();
        const std::size_t words = (n + 63) / 64;
        bits_.assign(words, 0);
        configuration_cache cache{words};
        std::uint64_t bits_hash = 0;
        std::uint32_t state = states_.intern(model_.init());
        best_state_ = state;
        std::size_t completed_left = 0;
        for (const operation* op : ops_) completed_left += op->open() ? 0 : 1;

        state_type next = model_.init();
        std::uint64_t steps = 0;
        std::size_t e = next_[head()];
        while (completed_left != 0) {
            if (++steps > steps_max) return {verdict::unknown, steps};
            // Some completed operation's return is still linked, and returns of open operations
            // sort last, so the cursor meets a return before it wraps around to the head.
            SYNOD_ASSERT(e != head());
            const std::uint32_t op = event_op_[e];
            if (is_call(e)) {
                const step_result r = model_.step(states_[state], *ops_[op], next);
                if (r != step_result::illegal) {
                    const std::uint32_t after =
                        r == step_result::changed ? states_.intern(next) : state;
                    set_bit(op);
                    bits_hash ^= op_hash(op);
                    if (cache.insert(bits_, after, bits_hash ^ mix64(after + 0x632be59bd9b4e019ULL))) {
                        stack_.push_back({static_cast<std::uint32_t>(e), state});
                        state = after;
                        lift(e);
                        if (!ops_[op]->open()) --completed_left;
                        note_progress(op, state);
                        e = next_[head()];
                        continue;
                    }
                    clear_bit(op);
                    bits_hash ^= op_hash(op);
                }
                e = next_[e];
            } else {
                // A deadline: the operations pending now cannot all be placed; undo a choice.
                if (stack_.empty()) return {verdict::not_linearizable, steps};
                const frame f = stack_.back();
                stack_.pop_back();
                agree_ = std::min(agree_, stack_.size());
                const std::uint32_t undone = event_op_[f.call];
                state = f.state_before;
                clear_bit(undone);
                bits_hash ^= op_hash(undone);
                unlift(f.call);
                if (!ops_[undone]->open()) ++completed_left;
                e = next_[f.call];
            }
        }
        return {verdict::linearizable, steps};
    }

    /// After a successful run(): the linearization found, open ops that never took effect
    /// left out.
    void append_witness(std::vector<op_id>& out) const {
        for (const frame& f : stack_) out.push_back(ops_[event_op_[f.call]]->id);
    }

    /// After a failed run(): the longest linearizable prefix and the window it got stuck at.
    linearizability_failure explain(std::uint64_t partition) const {
        linearizability_failure f;
        f.partition = partition;
        f.operations = ops_.size();
        std::vector<bool> placed(ops_.size(), false);
        for (const std::uint32_t op : best_) {
            placed[op] = true;
            f.longest_prefix.push_back(ops_[op]->id);
        }
        const state_type& s = states_[best_state_];
        f.state_after_prefix = model_.describe(s);
        // The events in time order: the first return of an unplaced operation is the deadline;
        // the unplaced calls before it are the candidates that could not go next.
        std::vector<std::uint32_t> window;
        for (std::size_t e = 0; e < event_op_.size(); ++e) {
            const std::uint32_t op = event_op_[e];
            if (placed[op]) continue;
            if (is_call(e)) {
                window.push_back(op);
            } else {
                f.deadline = ops_[op]->id;
                break;
            }
        }
        std::sort(window.begin(), window.end(), [&](std::uint32_t a, std::uint32_t b) {
            return ops_[a]->invoked != ops_[b]->invoked ? ops_[a]->invoked < ops_[b]->invoked
                                                        : ops_[a]->id < ops_[b]->id;
        });
        for (const std::uint32_t op : window) {
            f.window.push_back(ops_[op]->id);
            f.model_answers.push_back(model_.expected(s, *ops_[op]));
        }
        return f;
    }

private:
    struct frame {
        std::uint32_t call;          // the call event lifted
        std::uint32_t state_before;  // the state to restore when it is undone
    };

    static constexpr std::uint64_t mix64(std::uint64_t x) noexcept { return detail::mix64(x); }
    static std::uint64_t op_hash(std::uint32_t op) noexcept { return mix64(op + 1); }

    // Events 0..2n-1 are sorted by time; the head sentinel is 2n. Even/odd does not encode the
    // kind: is_return_ does.
    std::size_t head() const noexcept { return event_op_.size(); }
    bool is_call(std::size_t e) const noexcept { return !is_return_[e]; }

    void build_events() {
        struct event {
            std::uint64_t time;
            bool is_return;
            std::uint32_t op;
        };
        std::vector<event> events;
        events.reserve(ops_.size() * 2);
        for (std::uint32_t i = 0; i < ops_.size(); ++i) {
            events.push_back({ops_[i]->invoked, false, i});
            events.push_back({ops_[i]->returned, true, i});
        }
        // Calls before returns on equal times (closed intervals); then by id, for determinism.
        std::sort(events.begin(), events.end(), [&](const event& a, const event& b) {
            if (a.time != b.time) return a.time < b.time;
            if (a.is_return != b.is_return) return !a.is_return;
            return ops_[a.op]->id < ops_[b.op]->id;
        });
        const std::size_t m = events.size();
        event_op_.resize(m);
        is_return_.resize(m);
        match_.resize(m);
        next_.resize(m + 1);
        prev_.resize(m + 1);
        std::vector<std::uint32_t> call_of(ops_.size(), 0);
        for (std::size_t e = 0; e < m; ++e) {
            event_op_[e] = events[e].op;
            is_return_[e] = events[e].is_return;
            if (!events[e].is_return) {
                call_of[events[e].op] = static_cast<std::uint32_t>(e);
            } else {
                match_[call_of[events[e].op]] = static_cast<std::uint32_t>(e);
            }
        }
        // A circular list through the head sentinel.
        for (std::size_t e = 0; e <= m; ++e) {
            next_[e] = e == m ? 0 : e + 1;
            prev_[e] = e == 0 ? m : e - 1;
        }
        if (m == 0) next_[m] = prev_[m] = m;
    }

    void unlink(std::size_t e) noexcept {
        next_[prev_[e]] = next_[e];
        prev_[next_[e]] = prev_[e];
    }
    void relink(std::size_t e) noexcept {
        next_[prev_[e]] = e;
        prev_[next_[e]] = e;
    }
    void lift(std::size_t call) noexcept {
        unlink(call);
        unlink(match_[call]);
    }
    // Dancing links: relinking in the reverse order of unlinking restores the list exactly.
    void unlift(std::size_t call) noexcept {
        relink(match_[call]);
        relink(call);
    }

    void set_bit(std::uint32_t op) noexcept { bits_[op / 64] |= std::uint64_t{1} << (op % 64); }
    void clear_bit(std::uint32_t op) noexcept {
        bits_[op / 64] &= ~(std::uint64_t{1} << (op % 64));
    }

    // Keeps best_ a longest linearizable prefix seen so far, in amortized O(1) per push:
    // agree_ is how long a prefix of best_ the stack still shares.
    void note_progress(std::uint32_t op, std::uint32_t state) {
        const std::size_t depth = stack_.size();  // after the push
        if (agree_ == depth - 1 && agree_ < best_.size() && best_[agree_] == op) {
            ++agree_;
        } else if (agree_ == depth - 1 && agree_ == best_.size()) {
            best_.push_back(op);
            best_state_ = state;
            ++agree_;
        } else if (depth > best_.size()) {
            best_.clear();
            for (const frame& f : stack_) best_.push_back(event_op_[f.call]);
            best_state_ = state;
            agree_ = depth;
        }
    }

    const Model& model_;
    std::vector<const operation*> ops_;
    state_table<Model> states_;
    std::vector<std::uint32_t> event_op_;
    std::vector<bool> is_return_;
    std::vector<std::uint32_t> match_;  // call event -> its return event
    std::vector<std::size_t> next_;
    std::vector<std::size_t> prev_;
    std::vector<std::uint64_t> bits_;
    std::vector<frame> stack_;
    std::vector<std::uint32_t> best_;
    std::uint32_t best_state_ = 0;
    std::size_t agree_ = 0;
};

inline std::string describe_failure(std::span<const operation> ops,
                                    const linearizability_failure& f, std::size_t partitions,
                                    std::size_t failed, std::size_t prefix_shown_max) {
    std::string s = "not linearizable: partition " + std::to_string(f.partition) + " (" +
                    std::to_string(f.operations) + " operations; " + std::to_string(failed) +
                    " of " + std::to_string(partitions) + " partitions fail)\n";
    s += "longest linearizable prefix: " + std::to_string(f.longest_prefix.size()) +
         " operations, ending in state " + f.state_after_prefix + "\n";
    const std::size_t shown = std::min(prefix_shown_max, f.longest_prefix.size());
    if (shown < f.longest_prefix.size())
        s += "  ... " + std::to_string(f.longest_prefix.size() - shown) + " earlier operations\n";
    for (std::size_t i = f.longest_prefix.size() - shown; i < f.longest_prefix.size(); ++i)
        s += "  " + to_string(ops[f.longest_prefix[i].value]) + "\n";
    s += "then none of these concurrent operations can be linearized before #" +
         std::to_string(f.deadline.value) + " returns at " +
         std::to_string(ops[f.deadline.value].returned) + ":\n";
    for (std::size_t i = 0; i < f.window.size(); ++i) {
        const operation& op = ops[f.window[i].value];
        s += "  " + to_string(op) + ": in state " + f.state_after_prefix + " it would return " +
             f.model_answers[i] + "\n";
    }
    return s;
}

}  // namespace detail

/// Checks that `ops` (a history's operations, `ops[i].id == op_id{i}`) is linearizable with
/// respect to `model`. Discarded operations are ignored; open operations may have taken effect
/// at any time after their call, or never. Deterministic: the same history gives the same
/// result, steps included.
template <class Model = kv_model>
    requires sequential_model<Model>
check_result check_linearizability(std::span<const operation> ops, const check_options& options = {},
                                   const Model& model = Model{}) {
    check_result result;
    // Group by partition, keeping invocation order inside each. Open reads are dropped: they
    // neither change the state nor constrain it.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    order.reserve(ops.size());
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
        const operation& op = ops[i];
        SYNOD_ASSERT(op.id.value == i);
        if (op.discarded) continue;
        if (op.open() && op.input.kind == op_kind::get) continue;
        order.emplace_back(model.partition(op), i);
    }
    std::sort(order.begin(), order.end());

    std::vector<linearizability_failure> failures;
    for (std::size_t begin = 0; begin < order.size();) {
        std::size_t end = begin;
        std::vector<const operation*> part;
        while (end < order.size() && order[end].first == order[begin].first)
            part.push_back(&ops[order[end++].second]);
        const std::uint64_t key = order[begin].first;
        begin = end;

        detail::wgl_search<Model> search{model, std::move(part)};
        const detail::partition_outcome r = search.run(options.steps_max_per_partition);
        ++result.partitions;
        result.steps += r.steps;
        if (r.outcome == verdict::linearizable) {
            search.append_witness(result.witness);
            continue;
        }
        if (r.outcome == verdict::unknown) {
            if (result.partitions_unknown++ == 0) result.unknown_partition = key;
        } else {
            ++result.partitions_failed;
            linearizability_failure f = search.explain(key);
            if (failures.empty() || f.operations < failures.front().operations)
                failures.insert(failures.begin(), std::move(f));
        }
        if (options.stop_at_first_failure) break;
    }

    if (result.partitions_failed != 0) {
        result.outcome = verdict::not_linearizable;
        result.failure = std::move(failures.front());
        result.witness.clear();
        result.explanation =
            detail::describe_failure(ops, result.failure, result.partitions,
                                     result.partitions_failed, options.prefix_shown_max);
    } else if (result.partitions_unknown != 0) {
        result.outcome = verdict::unknown;
        result.witness.clear();
        result.explanation = "unknown: the search of partition " +
                             std::to_string(result.unknown_partition) + " exceeded " +
                             std::to_string(options.steps_max_per_partition) + " steps (" +
                             std::to_string(result.partitions_unknown) + " of " +
                             std::to_string(result.partitions) + " partitions unknown)\n";
    } else {
        result.outcome = verdict::linearizable;
        result.explanation = "linearizable: " + std::to_string(order.size()) + " operations in " +
                             std::to_string(result.partitions) + " partitions, " +
                             std::to_string(result.steps) + " search steps\n";
    }
    return result;
}

/// Checks a recorded history; see the overload above.
template <class Model = kv_model>
    requires sequential_model<Model>
check_result check_linearizability(const history& h, const check_options& options = {},
                                   const Model& model = Model{}) {
    return check_linearizability<Model>(h.operations(), options, model);
}

}  // namespace synod::check

#endif
