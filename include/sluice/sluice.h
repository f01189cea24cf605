// sluice: the whole public API. An embedder includes this one header and links sluice::sluice.
#pragma once

#include <sluice/consumer.h>
#include <sluice/durability.h>
#include <sluice/engine.h>
#include <sluice/errc.h>
#include <sluice/event.h>
#include <sluice/producer.h>
#include <sluice/queue.h>
#include <sluice/requests.h>
#include <sluice/result.h>
#include <sluice/topic.h>
#include <sluice/wait_strategy.h>
