#ifndef SYNOD_SYNOD_HPP
#define SYNOD_SYNOD_HPP

/// \file
/// Umbrella header: everything in synod except runtime/asio and storage/file, which need Boost
/// and the operating system.

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
#include "synod/core/static_vector.hpp"
#include "synod/runtime/sync/network.hpp"
#include "synod/storage/deferred.hpp"
#include "synod/storage/memory.hpp"

#endif
