#pragma once
// Who follows a report (an extension of the spec): join_report's ack lists the internal users in
// the report's room, on every node, and the room hears report.viewers {reportId, viewers} when
// someone joins, leaves or goes away. Announcements are debounced per report, so that a storm of
// reconnections costs the room one event per interval, not one per client.
//
// The list is read through the adapter (fetch_sockets), so with Redis it covers every node; each
// socket carries its user in Socket::data, set at connect. A read asks every node, so join acks
// share them: the joins of one report while a read is on its way, or within one debounce interval
// of it with no change seen on this node, cost no read of their own (a change on another node may
// then be missing from an ack; the report.viewers that it causes follows).

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "socketio/namespace.hpp"
#include "store/store.hpp"

namespace live {

class Presence {
 public:
  using ViewersHandler = std::function<void(boost::json::array viewers)>;
  struct Options {
    std::chrono::milliseconds debounce{250};
  };
  Presence(socketio::Namespace& nsp, boost::asio::thread_pool& workers, Options options);

  // What a socket of `user` carries for the others to see (its Socket::data).
  static boost::json::value socket_data(const store::User& user);
  // The users following `report_id`, [{id, username}] by id, as read at most one debounce
  // interval ago; `done` runs once, on any thread.
  void viewers(std::int64_t report_id, ViewersHandler done);
  // Someone joined, left or went away: the room hears the list once the debounce interval ends.
  void changed(std::int64_t report_id);
  // Cancels the announcements not made yet (before the worker pool stops).
  void stop();

 private:
  using Clock = std::chrono::steady_clock;
  // The last list read for a report, and the joins waiting for a read in flight.
  struct Known {
    boost::json::array viewers;
    Clock::time_point read_at{};
    bool reading = false;
    std::vector<ViewersHandler> waiting;
  };

  void announce(std::int64_t report_id);
  // Reads the list from every node; `done` runs once with it, on any thread.
  void read(std::int64_t report_id, ViewersHandler done);
  // A read ended: it is known, and the joins waiting for it get it.
  void learned(std::int64_t report_id, const boost::json::array& viewers);
  // Mutex held: forgets the lists nobody asked for lately, so that the map stays small.
  void forget_stale(Clock::time_point now);

  socketio::Namespace& nsp_;
  boost::asio::thread_pool& workers_;
  const Options options_;
  std::mutex mutex_;
  bool stopped_ = false;
  // The reports whose announcement is waiting for its interval to end.
  std::unordered_map<std::int64_t, std::unique_ptr<boost::asio::steady_timer>> waiting_;
  std::unordered_map<std::int64_t, Known> known_;
};

}  // namespace live
