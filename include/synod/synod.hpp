#ifndef SYNOD_SYNOD_HPP
#define SYNOD_SYNOD_HPP

/// \file
/// Umbrella header: the cores, the storage policies that need no operating system, and the sync
/// runtime. Not included: runtime/asio and storage/file_wal (Boost and the operating system),
/// runtime/sim and check/ (the simulator and checkers, host-only).

#include "synod/config.hpp"
#include "synod/core/assert.hpp"
#include "synod/core/ballot.hpp"
#include "synod/core/concepts/message.hpp"
#include "synod/core/concepts/quorum_system.hpp"
#include "synod/core/concepts/random.hpp"
#include "synod/core/concepts/state_machine.hpp"
#include "synod/core/concepts/storage.hpp"
#include "synod/core/concepts/timer.hpp"
#include "synod/core/concepts/transport.hpp"
#include "synod/core/configuration.hpp"
#include "synod/core/entry.hpp"
#include "synod/core/error.hpp"
#include "synod/core/ids.hpp"
#include "synod/core/outbox.hpp"
#include "synod/core/quorum.hpp"
#include "synod/core/random.hpp"
#include "synod/core/sessions.hpp"
#include "synod/core/static_vector.hpp"
#include "synod/paxos/acceptor.hpp"
#include "synod/paxos/learner.hpp"
#include "synod/paxos/multi_paxos.hpp"
#include "synod/paxos/node.hpp"
#include "synod/paxos/proposer.hpp"
#include "synod/raft/node.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/deferred.hpp"
#include "synod/storage/memory.hpp"
#include "synod/storage/paxos_memory.hpp"
#include "synod/storage/static.hpp"

#endif
