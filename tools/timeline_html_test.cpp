// The timeline page's data: every string is JSON-encoded so that no text can end the <script>
// element that holds it or break the script; and attaching the recorder does not change a run
// (same trace hash, same events) for either protocol.

#include <cstdio>
#include <string>
#include <string_view>

#include "synod/runtime/sim/multi_paxos.hpp"
#include "synod/runtime/sim/raft.hpp"
#include "timeline_html.hpp"

namespace sim = synod::runtime::sim;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what.c_str());
        ++failures;
    }
}

std::string encoded(std::string_view s) {
    std::string out;
    synod::tools::json_string(out, s);
    return out;
}

void strings_are_json_and_safe_in_a_script_element() {
    static constexpr char controls[] = "nul\0 tab\t nl\n cr\r del\x7f";
    const struct {
        std::string_view in, out;
    } cases[] = {
        {"plain v12", R"("plain v12")"},
        {"quote \" backslash \\", R"("quote \" backslash \\")"},
        {"</script><script>alert(1)</script>",
         R"("\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e")"},
        {"<!-- & -->", R"("\u003c!-- \u0026 --\u003e")"},
        {std::string_view{controls, sizeof controls - 1},
         R"("nul\u0000 tab\t nl\n cr\r del\u007f")"},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\""},
        {"line\xe2\x80\xa8sep\xe2\x80\xa9", R"("line\u2028sep\u2029")"},
        {"bad \xff \xc0\xaf \xed\xa0\x80 \xe2\x9c",
         R"("bad \ufffd \ufffd\ufffd \ufffd\ufffd\ufffd \ufffd\ufffd")"},
    };
    for (const auto& c : cases)
        expect(encoded(c.in) == c.out,
               "json_string: got " + encoded(c.in) + ", want " + std::string{c.out});
}

template <class Protocol>
void recording_changes_nothing(const char* profile) {
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
        sim::options o;
        o.seed = seed;
        o.ops = 60;
        sim::fault_profile::named(profile, o.faults);
        sim::world<Protocol> plain{o};
        const sim::result a = plain.run();
        synod::tools::timeline_recorder<Protocol> recorder{o.nodes};
        sim::world<Protocol> recorded{o};
        recorded.attach(&recorder);
        const sim::result b = recorded.run();
        const std::string what =
            std::string{Protocol::name} + " " + profile + " seed " + std::to_string(seed);
        expect(a.trace_hash == b.trace_hash, what + ": the trace hash changed when recorded");
        expect(a.events == b.events, what + ": the event count changed when recorded");
        expect(recorder.messages() == a.messages && a.messages > 0,
               what + ": not every message was recorded");
    }
}

void a_failure_text_cannot_escape_the_data_element() {
    sim::options o;
    o.seed = 1;
    o.ops = 20;
    sim::fault_profile::named("none", o.faults);
    synod::tools::timeline_recorder<sim::raft_protocol<>> recorder{o.nodes};
    sim::world<sim::raft_protocol<>> w{o};
    w.attach(&recorder);
    const sim::result r = w.run();
    expect(r.ok, "a calm run passes");
    recorder.failed(5, "x</script><script>alert(1)</script>", synod::node_id{1}, synod::no_node);
    synod::tools::page_info info;
    info.protocol = "raft";
    info.faults = "none</title>";
    info.replay = "synod-sim \"quoted\" & <b>";
    const std::string page = recorder.html(info);
    const auto data = page.find("<script id=\"timeline-data\" type=\"application/json\">");
    expect(data != std::string::npos, "the page has its data element");
    const auto data_end = page.find("</script>", data);
    expect(data_end != std::string::npos, "the data element is closed");
    const std::string json = page.substr(data, data_end - data);
    expect(json.find("alert") != std::string::npos, "the failure text is in the data");
    expect(json.find("<script>alert") == std::string::npos, "no raw markup in the data");
    expect(json.find("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)") != std::string::npos,
           "the failure text is escaped");
    expect(json.find("none\\u003c/title\\u003e") != std::string::npos,
           "the profile name is escaped");
    expect(page.find("alert(1)") == json.find("alert(1)") + data,
           "the text appears only in the data");
    expect(page.rfind("</html>") != std::string::npos, "the page is complete");
}

}  // namespace

int main() {
    strings_are_json_and_safe_in_a_script_element();
    recording_changes_nothing<sim::raft_protocol<>>("brutal");
    recording_changes_nothing<sim::multi_paxos_protocol>("brutal");
    a_failure_text_cannot_escape_the_data_element();
    if (failures == 0) std::printf("timeline html: all checks passed\n");
    return failures == 0 ? 0 : 1;
}
