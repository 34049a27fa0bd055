#pragma once
// Who follows a report (an extension of the spec): join_report's ack lists the internal users in
// the report's room, on every node, and the room hears report.viewers {reportId, viewers} when
// someone joins, leaves or goes away. Announcements are debounced per report, so that a storm of
// reconnections costs the room one event per interval, not one per client.
//
// The list is read through the adapter (fetch_sockets), so with Redis it covers every node; each
// socket carries its user in Socket::data, set at connect.

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
  // The users following `report_id` now, [{id, username}] by id; `done` runs once, on any thread.
  void viewers(std::int64_t report_id, ViewersHandler done);
  // Someone joined, left or went away: the room hears the list once the debounce interval ends.
  void changed(std::int64_t report_id);
  // Cancels the announcements not made yet (before the worker pool stops).
  void stop();

 private:
  void announce(std::int64_t report_id);

  socketio::Namespace& nsp_;
  boost::asio::thread_pool& workers_;
  const Options options_;
  std::mutex mutex_;
  bool stopped_ = false;
  // The reports whose announcement is waiting for its interval to end.
  std::unordered_map<std::int64_t, std::unique_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace live
