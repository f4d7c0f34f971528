// The guides' code is compiled: every C++ block of more than five lines in the guides below must
// appear, line for line (indentation aside), in one of the source files of tests/docs/, which
// this executable builds and runs. Shorter blocks are fragments (a call, a declaration).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using lines = std::vector<std::string>;

const char* const guides[] = {"architecture.md", "embedding.md", "policies.md",
                              "variants.md",     "choosing.md",  "testing.md"};
constexpr std::size_t fragment_lines_max = 5;

std::string trimmed(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

lines read_lines(const fs::path& p) {
    std::ifstream in{p};
    BOOST_TEST_REQUIRE(in.good(), "cannot read " << p);
    lines out;
    for (std::string line; std::getline(in, line);) out.push_back(trimmed(line));
    return out;
}

/// The ```cpp blocks of a Markdown file, each as trimmed lines.
std::vector<lines> cpp_blocks(const lines& md) {
    std::vector<lines> blocks;
    bool inside = false;
    for (const std::string& line : md) {
        if (!inside && line == "```cpp") {
            inside = true;
            blocks.emplace_back();
        } else if (inside && line == "```") {
            inside = false;
        } else if (inside) {
            blocks.back().push_back(line);
        }
    }
    BOOST_TEST(!inside, "a ```cpp block is not closed");
    return blocks;
}

bool contains(const lines& haystack, const lines& block) {
    if (block.size() > haystack.size()) return false;
    for (std::size_t i = 0; i + block.size() <= haystack.size(); ++i) {
        std::size_t k = 0;
        while (k < block.size() && haystack[i + k] == block[k]) ++k;
        if (k == block.size()) return true;
    }
    return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(docs_snippets)

BOOST_AUTO_TEST_CASE(every_longer_cpp_block_of_the_guides_is_in_a_compiled_file) {
    const fs::path root{SYNOD_SOURCE_DIR};
    std::vector<std::pair<fs::path, lines>> sources;
    for (const auto& f : fs::directory_iterator(root / "tests" / "docs"))
        if (f.path().extension() == ".cpp") sources.emplace_back(f.path(), read_lines(f.path()));
    std::size_t checked = 0;
    for (const char* guide : guides) {
        const fs::path doc = root / "docs" / guide;
        if (!fs::exists(doc)) continue;
        for (const lines& block : cpp_blocks(read_lines(doc))) {
            if (block.size() <= fragment_lines_max) continue;
            bool found = false;
            for (const auto& [path, text] : sources) found = found || contains(text, block);
            BOOST_TEST(found, "docs/" << guide << ": the block starting \"" << block.front()
                                      << "\" (" << block.size()
                                      << " lines) is in no file of tests/docs/");
            ++checked;
        }
    }
    BOOST_TEST_MESSAGE(checked << " blocks checked");
}

BOOST_AUTO_TEST_SUITE_END()
