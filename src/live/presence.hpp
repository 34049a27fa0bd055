#pragma once
// Who follows a report (an extension of the spec): join_report's ack lists the internal users in
// the report's room, on every node, and the room hears report.viewers {reportId, viewers} when
// that list changes: a user's first socket joins, or their last leaves or goes away (a second tab
// changes nothing anyone could see, and a room of one user's many sockets hears nothing more than
// its first join and last leave). Announcements are debounced per report, so that a storm of
// reconnections costs the room one event per interval, not one per client; the interval grows
// with the room (per_listener for each of its sockets on this node), so that telling a crowd who
// is there costs a bounded number of deliveries a second (about 1 / per_listener), however many
// of them come and go.
//
// On a single node the list is this node's own tally, kept as sockets follow and unfollow
// reports: an answer costs no walk over the room. In a cluster (`cluster_wide`) it is read
// through the adapter (fetch_sockets), which asks every node; each socket carries its user in
// Socket::data, set at connect. There join acks share reads: the joins of one report while a read
// is on its way, or within one debounce interval of it with no change seen on this node, cost no
// read of their own (a change on another node may then be missing from an ack; the
// report.viewers that it causes follows).

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "socketio/namespace.hpp"

namespace live {

// Who a follower is, as viewers lists show them: all that presence, and a connection, keep of a
// user (a whole store::User would keep its role, password hash and timestamps per connection).
struct Viewer {
  std::int64_t id = 0;
  std::string username;
};

class Presence {
 public:
  using ViewersHandler = std::function<void(boost::json::array viewers)>;
  struct Options {
    std::chrono::milliseconds debounce{250};
    // A room hears about 1,000 report.viewers deliveries a second at most: a fraction of what
    // its members' connects cost (each sends four packets), however many arrive at once.
    std::chrono::microseconds per_listener{1'000};
    std::chrono::milliseconds longest{10'000};
    bool cluster_wide = false;  // other nodes have sockets too (a cluster adapter)
  };
  Presence(socketio::Namespace& nsp, boost::asio::thread_pool& workers, Options options);

  // How long a report's room waits between announcements while `sockets` of this node are in
  // it: the debounce, longer for a crowd, at most `longest`.
  static std::chrono::milliseconds debounce_interval(std::size_t sockets, const Options& options);
  bool cluster_wide() const { return options_.cluster_wide; }
  // What a socket of `user` carries for the other nodes to see (its Socket::data).
  static boost::json::value socket_data(const Viewer& user);
  // The users following `report_id`, [{id, username}] by id, as read at most one debounce
  // interval ago; `done` runs once, on any thread.
  void viewers(std::int64_t report_id, ViewersHandler done);
  // A socket of `user` on this node started or stopped following `report_id` (each socket once
  // per report). When that adds or removes the user, the room hears the list once the debounce
  // interval ends.
  void follow(std::int64_t report_id, const Viewer& user, bool following);
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

  // This node's followers of one report: their names, and how many sockets each has there.
  struct Follower {
    std::string username;
    int sockets = 0;
  };
  // This node's sockets in a report's room: by user (the order of the list), and how many.
  struct Audience {
    std::map<std::int64_t, Follower> followers;
    std::size_t sockets = 0;
  };

  void changed(std::int64_t report_id);
  void announce(std::int64_t report_id);
  // Mutex held: the list from this node's tally.
  boost::json::array tallied(std::int64_t report_id) const;
  // Mutex held: how long a report's room waits for its next announcement.
  std::chrono::milliseconds debounce_for(std::int64_t report_id) const;
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
  std::unordered_map<std::int64_t, Audience> audiences_;
  // The reports whose announcement is waiting for its interval to end.
  std::unordered_map<std::int64_t, std::unique_ptr<boost::asio::steady_timer>> waiting_;
  std::unordered_map<std::int64_t, Known> known_;
};

}  // namespace live
