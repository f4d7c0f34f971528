#ifndef SYNOD_TESTS_SUPPORT_PRINT_HPP
#define SYNOD_TESTS_SUPPORT_PRINT_HPP

// Stream output for synod's vocabulary, so that a failed BOOST_TEST prints the values. Test
// support only: the cores include no iostreams.

#include <ostream>

#include "synod/core/ballot.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/quorum.hpp"

namespace synod {

inline std::ostream& operator<<(std::ostream& os, errc e) { return os << to_string(e); }
inline std::ostream& operator<<(std::ostream& os, node_id n) { return os << 'n' << n.value; }
inline std::ostream& operator<<(std::ostream& os, term_t t) { return os << 't' << t.value; }
inline std::ostream& operator<<(std::ostream& os, log_index i) { return os << 'i' << i.value; }
inline std::ostream& operator<<(std::ostream& os, write_id w) { return os << 'w' << w.value; }
inline std::ostream& operator<<(std::ostream& os, time_point t) { return os << '@' << t.value; }
inline std::ostream& operator<<(std::ostream& os, const ballot& b) {
    return os << '(' << b.round << ',' << b.proposer.value << ')';
}
inline std::ostream& operator<<(std::ostream& os, vote_outcome v) {
    switch (v) {
        case vote_outcome::pending: return os << "pending";
        case vote_outcome::won: return os << "won";
        case vote_outcome::lost: return os << "lost";
    }
    return os;
}
template <class P>
std::ostream& operator<<(std::ostream& os, const entry<P>& e) {
    os << e.index.value << '@' << e.term.value;
    if (e.kind == entry_kind::noop) return os << "(noop)";
    if constexpr (requires { os << e.payload; }) os << '"' << e.payload << '"';
    return os;
}

}  // namespace synod

#endif
