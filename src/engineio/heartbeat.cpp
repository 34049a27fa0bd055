#include "engineio/heartbeat.hpp"

#include <algorithm>

#include "engineio/no_vptr_check.hpp"

namespace engineio {

void HeartbeatScheduler::schedule(Heartbeat& beat, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  unschedule_locked(beat);
  ++beat.generation_;
  auto& queue = queues_[delay];
  // Taken under the lock, so that the deadlines of one queue never go backwards.
  const auto deadline = Clock::now() + delay;
  queue.push_back({deadline, &beat});
  beat.queue_ = &queue;
  beat.deadline_ = deadline;
  if (deadline < armed_for_) arm(deadline);
}

void HeartbeatScheduler::unschedule(Heartbeat& beat) {
  std::lock_guard lock(mutex_);
  unschedule_locked(beat);
  ++beat.generation_;
}

void HeartbeatScheduler::unschedule_locked(Heartbeat& beat) {
  if (!beat.queue_) return;
  auto& queue = *beat.queue_;
  auto entry = std::lower_bound(
      queue.begin(), queue.end(), beat.deadline_,
      [](const Entry& entry, Clock::time_point deadline) { return entry.deadline < deadline; });
  for (; entry != queue.end() && entry->deadline == beat.deadline_; ++entry) {
    if (entry->beat == &beat) {
      entry->beat = nullptr;
      break;
    }
  }
  beat.queue_ = nullptr;
}

void HeartbeatScheduler::arm(Clock::time_point deadline) {
  armed_for_ = deadline;
  // Cancels a wait for a later deadline; its handler sees operation_aborted.
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->on_timer();
  });
}

ENGINEIO_NO_VPTR_CHECK void HeartbeatScheduler::on_timer() {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  auto next = Clock::time_point::max();
  for (auto& [delay, queue] : queues_) {
    while (!queue.empty() && (queue.front().deadline <= now || !queue.front().beat)) {
      const auto entry = queue.front();
      queue.pop_front();
      if (!entry.beat) continue;
      entry.beat->queue_ = nullptr;
      entry.beat->owner_.heartbeat_due(entry.beat->generation_);
    }
    if (!queue.empty()) next = std::min(next, queue.front().deadline);
  }
  armed_for_ = Clock::time_point::max();
  if (next != Clock::time_point::max()) arm(next);
}

}  // namespace engineio
