#ifndef SYNOD_TOOLS_TIMELINE_HTML_HPP
#define SYNOD_TOOLS_TIMELINE_HTML_HPP

// One simulated run as a self-contained HTML page (synod-sim --html FILE): a lane per node with
// its role, term and commit index over time; messages as arrows between the lanes, the lost
// ones in red; partitions, crashes and pauses shaded; the clients' operations in lanes of their
// own; the first broken check marked at its time and nodes. Clicking anything shows its
// details. The page needs no network: its CSS, script and data are inline, and it draws SVG.
//
// timeline_recorder<Protocol> is a sim::recorder: attach it to a world, run, then html().
// Every string reaches the page JSON-encoded inside a <script type="application/json">
// element (json_string() escapes '<', '>' and '&' too, so no text can close the element),
// and the script only ever puts text into the document with textContent.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "synod/runtime/sim/world.hpp"
#include "timeline_page.hpp"

namespace synod::tools {

/// Appends `s` to `out` as a JSON string literal. Besides what JSON requires, '<', '>', '&',
/// U+2028 and U+2029 are escaped, so the literal is safe inside an HTML <script> element and
/// as JavaScript source; bytes that are not valid UTF-8 become U+FFFD.
inline void json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    auto escape = [&](unsigned code) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(code >> shift) & 0xf];
    };
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"': out += "\\\""; break;
                case '\\': out += "\\\\"; break;
                case '\n': out += "\\n"; break;
                case '\r': out += "\\r"; break;
                case '\t': out += "\\t"; break;
                case '<': case '>': case '&': escape(c); break;
                default:
                    if (c < 0x20 || c == 0x7f) {
                        escape(c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        // A UTF-8 sequence: copy it if well formed (no overlong forms, no surrogates, at most
        // U+10FFFF), else one replacement character for the first byte.
        const std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        bool valid = length != 0 && c <= 0xf4 && i + length <= s.size();
        unsigned code = length == 2 ? c & 0x1fu : length == 3 ? c & 0x0fu : c & 0x07u;
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            valid = (cc & 0xc0) == 0x80;
            code = (code << 6) | (cc & 0x3fu);
        }
        if (valid && length == 3) valid = code >= 0x800 && (code < 0xd800 || code > 0xdfff);
        if (valid && length == 4) valid = code >= 0x10000 && code <= 0x10ffff;
        if (!valid) {
            escape(0xfffd);
            ++i;
        } else if (code == 0x2028 || code == 0x2029) {
            escape(code);
            i += length;
        } else {
            out.append(s.substr(i, length));
            i += length;
        }
    }
    out += '"';
}

/// What the page says about the run that the recorder does not see.
struct page_info {
    std::string protocol;  ///< "raft" or "multipaxos"
    std::string faults;    ///< the fault profile's name
    std::string replay;    ///< the command that replays the run
    std::string note;      ///< shown under the title (e.g. a planted bug), if not empty
};

/// Records one run of world<Protocol> for html().
template <class Protocol>
class timeline_recorder final : public runtime::sim::recorder<Protocol> {
public:
    using message_type = typename Protocol::message_type;
    using node_type = typename Protocol::node_type;

    explicit timeline_recorder(std::size_t nodes) : nodes_(nodes + 1) {}

    std::uint64_t sent(std::uint64_t time, node_id from, node_id to, const message_type& m,
                       bool lost) override {
        message_record r;
        r.from = from.value;
        r.to = to.value;
        r.sent = time;
        r.lost = lost;
        std::vector<std::string> names;
        std::visit([&](const auto& x) { fields_of(x, names, r.fields); }, m);
        std::string type = Protocol::describe(m).type;
        if (type == "append_response" && heartbeat_flag(m)) type = "heartbeat_response";
        r.type = type_index(type, names);
        messages_.push_back(std::move(r));
        return messages_.size() - 1;
    }

    void delivered(std::uint64_t time, std::uint64_t id, runtime::sim::delivery what) override {
        if (id < messages_.size()) messages_[id].deliveries.push_back({time, what});
    }

    void node_state(std::uint64_t time, node_id n, const node_type* node) override {
        if (n.value >= nodes_.size()) return;
        node_record& r = nodes_[n.value];
        state s;
        if (node) {
            s.role = role_of(*node);
            s.term = term_of(*node);
            s.leader = Protocol::leader_hint(*node).value;
            const std::uint64_t commit = Protocol::commit_of(*node).value;
            if (r.commits.empty() || r.commits.back().second != commit) {
                if (!r.commits.empty() && r.commits.back().first == time) {
                    r.commits.back().second = commit;
                } else {
                    r.commits.push_back({time, commit});
                }
            }
        } else {
            s.role = "down";
        }
        if (!r.states.empty() && r.states.back().second == s) return;
        if (!r.states.empty() && r.states.back().first == time) {
            r.states.back().second = s;  // changed twice in one step: keep the outcome
            if (r.states.size() > 1 && r.states[r.states.size() - 2].second == s)
                r.states.pop_back();
            return;
        }
        r.states.push_back({time, std::move(s)});
    }

    void paused(std::uint64_t time, node_id n, std::uint64_t until) override {
        pauses_.push_back({n.value, time, until});
    }

    void partition(std::uint64_t time, std::string_view what,
                   std::span<const std::pair<std::uint32_t, std::uint32_t>> blocked) override {
        close_partition(time);
        partitions_.push_back({time, 0, std::string{what}, {blocked.begin(), blocked.end()}, true});
    }
    void heal(std::uint64_t time) override { close_partition(time); }

    void crashed(std::uint64_t time, node_id n, std::string_view why, bool torn) override {
        crashes_.push_back({time, n.value, std::string{why}, torn});
    }
    void quiesced(std::uint64_t time) override { quiesced_ = time; }

    void client(std::uint64_t time, std::uint32_t c, check::op_id op,
                runtime::sim::client_step what, node_id n) override {
        steps_.push_back({time, c, op.value, what, n.value});
    }

    void failed(std::uint64_t time, std::string_view why, node_id node, node_id other) override {
        failure_time_ = time;
        failure_ = std::string{why};
        failure_nodes_.clear();
        if (node) failure_nodes_.push_back(node.value);
        if (other && other != node) failure_nodes_.push_back(other.value);
    }

    void finished(const runtime::sim::result& r, const check::history& h,
                  const check::check_result* linearizability) override {
        result_ = r;
        ops_.assign(h.operations().begin(), h.operations().end());
        if (linearizability && linearizability->outcome == check::verdict::not_linearizable) {
            const auto& f = linearizability->failure;
            for (check::op_id id : f.window) window_.push_back(id.value);
            deadline_op_ = f.deadline.value;
            has_deadline_ = f.deadline.value < ops_.size();
            // A history is judged at the end; the page marks the moment the first operation
            // that cannot be placed returned.
            if (has_deadline_ && !ops_[f.deadline.value].open())
                failure_time_ = ops_[f.deadline.value].returned;
        }
        finished_ = true;
    }

    /// The page, once the run finished.
    std::string html(const page_info& info) const {
        std::string out;
        out.reserve(200'000 + messages_.size() * 64);
        out += timeline_page::head;
        out += "<script id=\"timeline-data\" type=\"application/json\">";
        data_json(out, info);
        out += "</script>\n";
        out += timeline_page::tail;
        return out;
    }

    std::size_t messages() const noexcept { return messages_.size(); }

private:
    struct message_record {
        std::uint32_t from = 0, to = 0, type = 0;
        std::uint64_t sent = 0;
        bool lost = false;
        std::string fields;  ///< JSON values, comma-separated, in the order of the type's names
        std::vector<std::pair<std::uint64_t, runtime::sim::delivery>> deliveries;
    };
    struct state {
        std::string role;
        std::string term;
        std::uint32_t leader = 0;
        friend bool operator==(const state&, const state&) = default;
    };
    struct node_record {
        std::vector<std::pair<std::uint64_t, state>> states;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> commits;  ///< (time, commit index)
    };
    struct pause_record {
        std::uint32_t node;
        std::uint64_t from, until;
    };
    struct partition_record {
        std::uint64_t from, until;
        std::string what;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> blocked;
        bool open;
    };
    struct crash_record {
        std::uint64_t time;
        std::uint32_t node;
        std::string why;
        bool torn;
    };
    struct step_record {
        std::uint64_t time;
        std::uint32_t client, op;
        runtime::sim::client_step what;
        std::uint32_t node;
    };
    struct type_record {
        std::string name;
        std::vector<std::string> fields;
    };

    void close_partition(std::uint64_t time) {
        if (!partitions_.empty() && partitions_.back().open) {
            partitions_.back().until = time;
            partitions_.back().open = false;
        }
    }

    std::uint32_t type_index(const std::string& name, std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < types_.size(); ++i)
            if (types_[i].name == name) return static_cast<std::uint32_t>(i);
        types_.push_back({name, std::move(fields)});
        return static_cast<std::uint32_t>(types_.size() - 1);
    }

    static bool heartbeat_flag(const message_type& m) {
        return std::visit(
            [](const auto& x) {
                if constexpr (requires { bool{x.heartbeat}; }) {
                    return bool{x.heartbeat};
                } else {
                    return false;
                }
            },
            m);
    }

    static std::string role_of(const node_type& n) {
        if constexpr (requires { n.role(); }) {
            return to_string(n.role());
        } else if constexpr (requires { n.current_role(); }) {
            using role = decltype(n.current_role());
            const role r = n.current_role();
            return r == role::leader ? "leader" : r == role::candidate ? "candidate" : "follower";
        } else {
            return Protocol::is_leader(n) ? "leader" : "follower";
        }
    }
    static std::string term_of(const node_type& n) {
        if constexpr (requires { n.current_ballot().proposer; }) {
            const auto b = n.current_ballot();
            return std::to_string(b.round) + "." + std::to_string(b.proposer.value);
        } else {
            return std::to_string(Protocol::term_of(n));
        }
    }

    /// One field's value as JSON: numbers for counters, indexes, terms and flags; "round.node"
    /// for a ballot; the size of a span.
    template <class T>
    static void value_json(std::string& out, const T& v) {
        if constexpr (std::is_same_v<T, bool>) {
            out += v ? "true" : "false";
        } else if constexpr (std::is_integral_v<T>) {
            out += std::to_string(v);
        } else if constexpr (requires { v.round; v.proposer.value; }) {
            json_string(out, std::to_string(v.round) + "." + std::to_string(v.proposer.value));
        } else if constexpr (requires { v.value; }) {
            value_json(out, v.value);
        } else if constexpr (requires { v.size(); }) {
            out += std::to_string(v.size());
        } else {
            out += "null";
        }
    }

    /// The fields of one message alternative that the page shows, whichever protocol it is.
    template <class M>
    static void fields_of(const M& x, std::vector<std::string>& names, std::string& values) {
        auto add = [&](const char* name, const auto& v) {
            if (!values.empty()) values += ',';
            value_json(values, v);
            names.emplace_back(name);
        };
#define SYNOD_TIMELINE_FIELD(f) \
    if constexpr (requires { x.f; }) add(#f, x.f)
        SYNOD_TIMELINE_FIELD(term);
        SYNOD_TIMELINE_FIELD(proposed);
        SYNOD_TIMELINE_FIELD(promised);
        SYNOD_TIMELINE_FIELD(number);
        SYNOD_TIMELINE_FIELD(rejected);
        SYNOD_TIMELINE_FIELD(pre_vote);
        SYNOD_TIMELINE_FIELD(transfer);
        SYNOD_TIMELINE_FIELD(granted);
        SYNOD_TIMELINE_FIELD(success);
        SYNOD_TIMELINE_FIELD(heartbeat);
        SYNOD_TIMELINE_FIELD(prev_index);
        SYNOD_TIMELINE_FIELD(prev_term);
        SYNOD_TIMELINE_FIELD(first);
        SYNOD_TIMELINE_FIELD(last);
        SYNOD_TIMELINE_FIELD(index);
        SYNOD_TIMELINE_FIELD(last_index);
        SYNOD_TIMELINE_FIELD(last_term);
        SYNOD_TIMELINE_FIELD(last_included);
        SYNOD_TIMELINE_FIELD(hint_index);
        SYNOD_TIMELINE_FIELD(hint_term);
        SYNOD_TIMELINE_FIELD(commit);
        SYNOD_TIMELINE_FIELD(compacted);
        SYNOD_TIMELINE_FIELD(entries);
        SYNOD_TIMELINE_FIELD(accepted);
        SYNOD_TIMELINE_FIELD(commit_only);
        SYNOD_TIMELINE_FIELD(read_round);
        SYNOD_TIMELINE_FIELD(context);
        SYNOD_TIMELINE_FIELD(ok);
        SYNOD_TIMELINE_FIELD(offset);
        SYNOD_TIMELINE_FIELD(total_bytes);
        SYNOD_TIMELINE_FIELD(received);
        SYNOD_TIMELINE_FIELD(installed);
#undef SYNOD_TIMELINE_FIELD
    }

    static const char* delivery_name(runtime::sim::delivery d) {
        switch (d) {
            case runtime::sim::delivery::delivered: return "delivered";
            case runtime::sim::delivery::receiver_down: return "the receiver was down";
            case runtime::sim::delivery::partitioned: return "the link was cut";
            case runtime::sim::delivery::cancelled: return "the sender crashed before it left";
        }
        return "?";
    }
    static const char* step_name(runtime::sim::client_step s) {
        switch (s) {
            case runtime::sim::client_step::request: return "request";
            case runtime::sim::client_step::redirect: return "redirect";
            case runtime::sim::client_step::retry: return "retry";
            case runtime::sim::client_step::timeout: return "timeout";
        }
        return "?";
    }
    static const char* kind_name(check::op_kind k) {
        switch (k) {
            case check::op_kind::get: return "get";
            case check::op_kind::put: return "put";
            case check::op_kind::cas: return "cas";
            case check::op_kind::append: return "append";
        }
        return "?";
    }

    static void number(std::string& out, std::uint64_t v) { out += std::to_string(v); }
    static void key(std::string& out, const char* k) {
        out += '"';
        out += k;
        out += "\":";
    }

    /// The run as one JSON object; the page's script reads it (see timeline_page.hpp).
    void data_json(std::string& out, const page_info& info) const {
        const runtime::sim::result& r = result_;
        const std::uint64_t end = std::max<std::uint64_t>(r.virtual_ticks, 1);
        out += '{';
        key(out, "protocol"), json_string(out, info.protocol), out += ',';
        key(out, "faults"), json_string(out, info.faults), out += ',';
        key(out, "replay"), json_string(out, info.replay), out += ',';
        key(out, "note"), json_string(out, info.note), out += ',';
        key(out, "seed"), number(out, r.seed), out += ',';
        key(out, "nodes"), number(out, nodes_.size() - 1), out += ',';
        key(out, "end"), number(out, end), out += ',';
        key(out, "quiesced"), number(out, quiesced_), out += ',';
        key(out, "stats");
        out += '{';
        key(out, "events"), number(out, r.events), out += ',';
        key(out, "messages"), number(out, r.messages), out += ',';
        key(out, "dropped"), number(out, r.dropped), out += ',';
        key(out, "elections"), number(out, r.elections), out += ',';
        key(out, "crashes"), number(out, r.crashes), out += ',';
        key(out, "partitions"), number(out, r.partitions), out += ',';
        key(out, "committed"), number(out, r.committed), out += ',';
        key(out, "ops_completed"), number(out, r.ops_completed), out += ',';
        key(out, "ops_open"), number(out, r.ops_open), out += ',';
        key(out, "trace_hash");
        char hash[17];
        std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.trace_hash));
        json_string(out, hash);
        out += "},";
        key(out, "ok"), out += (r.ok && finished_) ? "true," : "false,";
        key(out, "failure");
        if (!failure_.empty()) {
            out += '{';
            key(out, "time"), number(out, failure_time_), out += ',';
            key(out, "text"), json_string(out, failure_), out += ',';
            key(out, "nodes");
            out += '[';
            for (std::size_t i = 0; i < failure_nodes_.size(); ++i)
                out += (i ? "," : ""), number(out, failure_nodes_[i]);
            out += "],";
            key(out, "ops");
            out += '[';
            for (std::size_t i = 0; i < window_.size(); ++i)
                out += (i ? "," : ""), number(out, window_[i]);
            out += "],";
            key(out, "deadline_op");
            if (has_deadline_) {
                number(out, deadline_op_);
            } else {
                out += "null";
            }
            out += ',';
            key(out, "last_events"), json_string(out, r.last_events);
            out += "},";
        } else {
            out += "null,";
        }

        // Message types: [name, [field names]]; messages: [from, to, type, sent, lost,
        // [[time, delivery], ...], [field values]].
        key(out, "types");
        out += '[';
        for (std::size_t i = 0; i < types_.size(); ++i) {
            if (i) out += ',';
            out += '[';
            json_string(out, types_[i].name);
            out += ",[";
            for (std::size_t k = 0; k < types_[i].fields.size(); ++k) {
                if (k) out += ',';
                json_string(out, types_[i].fields[k]);
            }
            out += "]]";
        }
        out += "],";
        key(out, "deliveries");
        out += '[';
        for (int d = 0; d < 4; ++d) {
            if (d) out += ',';
            json_string(out, delivery_name(static_cast<runtime::sim::delivery>(d)));
        }
        out += "],";
        key(out, "messages");
        out += '[';
        for (std::size_t i = 0; i < messages_.size(); ++i) {
            const message_record& m = messages_[i];
            if (i) out += ",\n";
            out += '[';
            number(out, m.from), out += ',', number(out, m.to), out += ',', number(out, m.type);
            out += ',', number(out, m.sent), out += m.lost ? ",1,[" : ",0,[";
            for (std::size_t k = 0; k < m.deliveries.size(); ++k) {
                if (k) out += ',';
                out += '[';
                number(out, m.deliveries[k].first);
                out += ',';
                number(out, static_cast<std::uint64_t>(m.deliveries[k].second));
                out += ']';
            }
            out += "],[";
            out += m.fields;
            out += "]]";
        }
        out += "],\n";

        // Per node: states [[time, role, term, leader]], commits [[time, index]].
        key(out, "lanes");
        out += '[';
        for (std::size_t n = 1; n < nodes_.size(); ++n) {
            if (n > 1) out += ',';
            out += "{\"states\":[";
            const node_record& nr = nodes_[n];
            for (std::size_t k = 0; k < nr.states.size(); ++k) {
                if (k) out += ',';
                out += '[';
                number(out, nr.states[k].first);
                out += ',';
                json_string(out, nr.states[k].second.role);
                out += ',';
                json_string(out, nr.states[k].second.term);
                out += ',';
                number(out, nr.states[k].second.leader);
                out += ']';
            }
            out += "],\"commits\":[";
            for (std::size_t k = 0; k < nr.commits.size(); ++k) {
                if (k) out += ',';
                out += '[';
                number(out, nr.commits[k].first);
                out += ',';
                number(out, nr.commits[k].second);
                out += ']';
            }
            out += "]}";
        }
        out += "],\n";

        key(out, "pauses");
        out += '[';
        for (std::size_t i = 0; i < pauses_.size(); ++i) {
            if (i) out += ',';
            out += '[';
            number(out, pauses_[i].node), out += ',', number(out, pauses_[i].from);
            out += ',', number(out, pauses_[i].until), out += ']';
        }
        out += "],";
        key(out, "partitions");
        out += '[';
        for (std::size_t i = 0; i < partitions_.size(); ++i) {
            const partition_record& p = partitions_[i];
            if (i) out += ',';
            out += '[';
            number(out, p.from), out += ',', number(out, p.open ? end : p.until), out += ',';
            json_string(out, p.what);
            out += ",[";
            for (std::size_t k = 0; k < p.blocked.size(); ++k) {
                if (k) out += ',';
                out += '[';
                number(out, p.blocked[k].first), out += ',', number(out, p.blocked[k].second);
                out += ']';
            }
            out += "]]";
        }
        out += "],";
        key(out, "crashes");
        out += '[';
        for (std::size_t i = 0; i < crashes_.size(); ++i) {
            if (i) out += ',';
            out += '[';
            number(out, crashes_[i].time), out += ',', number(out, crashes_[i].node), out += ',';
            json_string(out, crashes_[i].why);
            out += crashes_[i].torn ? ",1]" : ",0]";
        }
        out += "],\n";

        // Client operations: [client, kind, input, output, invoked, returned (-1: never),
        // outcome]; steps: [time, client, op, step, node].
        key(out, "ops");
        out += '[';
        for (std::size_t i = 0; i < ops_.size(); ++i) {
            const check::operation& op = ops_[i];
            if (i) out += ",\n";
            out += '[';
            number(out, op.client.value), out += ',';
            json_string(out, kind_name(op.input.kind)), out += ',';
            json_string(out, check::to_string(op.input)), out += ',';
            if (op.open()) {
                out += "null,";
            } else {
                json_string(out, check::to_string(op.output, op.input.kind)), out += ',';
            }
            number(out, op.invoked), out += ',';
            if (op.open()) {
                out += "-1";
            } else {
                number(out, op.returned);
            }
            out += ',';
            json_string(out, op.discarded                                   ? "discarded"
                             : op.open()                                    ? "open"
                             : op.output.status == check::kv_status::failed ? "fail"
                                                                            : "ok");
            out += ']';
        }
        out += "],";
        key(out, "steps");
        out += '[';
        for (std::size_t i = 0; i < steps_.size(); ++i) {
            const step_record& s = steps_[i];
            if (i) out += ',';
            out += '[';
            number(out, s.time), out += ',', number(out, s.client), out += ',', number(out, s.op);
            out += ',';
            json_string(out, step_name(s.what));
            out += ',';
            number(out, s.node);
            out += ']';
        }
        out += "],";
        key(out, "clients");
        std::uint32_t clients = 0;
        for (const check::operation& op : ops_) clients = std::max(clients, op.client.value);
        number(out, clients);
        out += "}";
    }

    std::vector<node_record> nodes_;
    std::vector<message_record> messages_;
    std::vector<type_record> types_;
    std::vector<pause_record> pauses_;
    std::vector<partition_record> partitions_;
    std::vector<crash_record> crashes_;
    std::vector<step_record> steps_;
    std::vector<check::operation> ops_;
    std::vector<std::uint32_t> window_;
    std::uint32_t deadline_op_ = 0;
    bool has_deadline_ = false;
    std::uint64_t quiesced_ = 0;
    std::uint64_t failure_time_ = 0;
    std::string failure_;
    std::vector<std::uint32_t> failure_nodes_;
    runtime::sim::result result_;
    bool finished_ = false;
};

}  // namespace synod::tools

#endif
