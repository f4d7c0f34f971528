#ifndef SYNOD_PAXOS_NODE_HPP
#define SYNOD_PAXOS_NODE_HPP

/// \file
/// One process of single-decree Paxos playing any combination of the three roles (Paxos Made
/// Simple 2.1: "a single process may act as more than one agent"). The combination is chosen at
/// compile time; a role left out has no data members and no code in the binary.

#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/paxos/learner.hpp"
#include "synod/paxos/message.hpp"
#include "synod/paxos/proposer.hpp"

namespace synod::paxos {

/// The roles a node plays, as bits: combine with |.
enum class roles : std::uint8_t {
    proposer = 1,
    acceptor = 2,
    learner = 4,
    all = 7,
};
/// Both sets of roles: `roles::proposer | roles::acceptor`.
constexpr roles operator|(roles a, roles b) noexcept {
    return static_cast<roles>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
/// True if `set` includes role `r`.
constexpr bool plays(roles set, roles r) noexcept {
    return (static_cast<std::uint8_t>(set) & static_cast<std::uint8_t>(r)) != 0;
}

/// A policy a node does not need because the role that uses it is not composed in.
struct unused {};

namespace detail {

/// Stands in for a role that is not composed in: empty, and it ignores every event.
template <int Tag>
struct absent_role {
    template <class... Args>
    explicit absent_role(Args&&...) noexcept {}
    template <class Event>
    void on(const Event&) noexcept {}
};

template <bool On, class Traits>
struct storage_of {
    using type = unused;
};
template <class Traits>
struct storage_of<true, Traits> {
    using type = typename Traits::storage;
};
template <bool On, class Traits>
struct transport_of {
    using type = unused;
};
template <class Traits>
struct transport_of<true, Traits> {
    using type = typename Traits::transport;
};
template <bool On, class Traits>
struct clock_of {
    using timer = unused;
    using random = unused;
};
template <class Traits>
struct clock_of<true, Traits> {
    using timer = typename Traits::timer;
    using random = typename Traits::random;
};
template <bool On, class Traits>
struct quorum_of {
    using type = unused;
};
template <class Traits>
struct quorum_of<true, Traits> {
    using type = typename Traits::quorum;
};

}  // namespace detail

/// A Paxos process playing the roles `R`. `Traits` is the traits type of the roles composed in
/// (acceptor, proposer, learner); policies only a left-out role uses need not be named. All roles
/// share one transport; the acceptor tells `config.learners` of each acceptance and, when this
/// node type plays learner too, every voter (the cluster then runs the same composition).
template <class Traits, roles R = roles::all>
class node {
public:
    ///@{
    /// Which roles are composed in.
    static constexpr bool has_proposer = plays(R, roles::proposer);
    static constexpr bool has_acceptor = plays(R, roles::acceptor);
    static constexpr bool has_learner = plays(R, roles::learner);
    ///@}
    static_assert(has_proposer || has_acceptor || has_learner,
                  "paxos::node<Traits, R>: R must name at least one role");

    ///@{
    /// The value and message types, and the type of each role (an empty stand-in for a role
    /// left out).
    using value_type = typename Traits::value_type;
    using message_type = message<value_type>;
    using proposer_type =
        std::conditional_t<has_proposer, proposer<Traits>, detail::absent_role<0>>;
    using acceptor_type =
        std::conditional_t<has_acceptor, acceptor<Traits>, detail::absent_role<1>>;
    using learner_type = std::conditional_t<has_learner, learner<Traits>, detail::absent_role<2>>;
    ///@}

    /// The policy objects of the composed roles; leave out the ones marked `unused`.
    struct policies {
        /// The acceptor's storage.
        typename detail::storage_of<has_acceptor, Traits>::type storage{};
        /// The transport, shared by the proposer and the acceptor.
        typename detail::transport_of<has_proposer || has_acceptor, Traits>::type transport{};
        /// The proposer's timer (retries, back-off).
        typename detail::clock_of<has_proposer, Traits>::timer timer{};
        /// The proposer's random source (randomized back-off).
        typename detail::clock_of<has_proposer, Traits>::random random{};
        /// The quorum system of the proposer and the learner.
        typename detail::quorum_of<has_proposer || has_learner, Traits>::type quorum{};
    };

    /// Node `self` of the cluster `config`, its roles built from the policies in `p`.
    node(node_id self, const configuration& config, proposer_settings settings, policies p)
        : proposer_{make_proposer(self, config, settings, p)},
          acceptor_{make_acceptor(self, config, p)},
          learner_{make_learner(self, config, p)} {}

    /// Proposes `v` (proposer role only).
    result<void> propose(value_type v)
        requires has_proposer
    {
        return proposer_.propose(std::move(v));
    }

    ///@{
    /// Hands each event to the roles it concerns: prepare and accept to the acceptor, promise
    /// and reject to the proposer, accepted to the proposer and the learner, timeouts to the
    /// proposer, durability to the acceptor.
    void on(const prepare& m) { acceptor_.on(m); }
    void on(const accept<value_type>& m) { acceptor_.on(m); }
    void on(const promise<value_type>& m) { proposer_.on(m); }
    void on(const reject& m) { proposer_.on(m); }
    void on(const accepted<value_type>& m) {
        proposer_.on(m);
        learner_.on(m);
    }
    void on(const message_type& m) {
        std::visit([this](const auto& x) { this->on(x); }, m);
    }
    void on(const timeout& t) { proposer_.on(t); }
    void on(const writes_durable& e) { acceptor_.on(e); }
    ///@}

    /// The chosen value as this node knows it: learned, or seen chosen as proposer.
    std::optional<value_type> chosen() const {
        if constexpr (has_learner) {
            if (learner_.chosen()) return learner_.chosen();
        }
        if constexpr (has_proposer) return proposer_.chosen();
        return std::nullopt;
    }

    ///@{
    /// Each composed role, for its own queries and commands.
    proposer_type& as_proposer() noexcept
        requires has_proposer
    {
        return proposer_;
    }
    acceptor_type& as_acceptor() noexcept
        requires has_acceptor
    {
        return acceptor_;
    }
    learner_type& as_learner() noexcept
        requires has_learner
    {
        return learner_;
    ///@}
    }

private:
    static proposer_type make_proposer(node_id self, const configuration& config,
                                       proposer_settings settings, policies& p) {
        if constexpr (has_proposer) {
            return proposer_type{self,     config,   settings, p.transport,
                                 p.timer, p.random, p.quorum};
        } else {
            return proposer_type{};
        }
    }
    static acceptor_type make_acceptor(node_id self, const configuration& config, policies& p) {
        if constexpr (has_acceptor) {
            node_set learners = config.learners;
            if constexpr (has_learner)
                for (node_id v : config.voters) learners.insert(v);
            return acceptor_type{self, learners, std::move(p.storage), p.transport};
        } else {
            return acceptor_type{};
        }
    }
    static learner_type make_learner(node_id self, const configuration& config, policies& p) {
        if constexpr (has_learner) {
            return learner_type{self, config, p.quorum};
        } else {
            return learner_type{};
        }
    }

    [[no_unique_address]] proposer_type proposer_;
    [[no_unique_address]] acceptor_type acceptor_;
    [[no_unique_address]] learner_type learner_;
};

}  // namespace synod::paxos

#endif
