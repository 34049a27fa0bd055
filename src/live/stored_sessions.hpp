#pragma once
// Connection state recovery for /ws/internal, backed by the database instead of memory: a saved
// session (its user, its rooms, its expiry) is a row that survives a restart and that every
// node sharing the database finds, and what a session missed is read back from the comments
// themselves, whose ids are the offsets that comment.created carries.
//
// Session writes are queued and applied in batches on the worker pool, one transaction per
// batch (as comments are), so that connects and joins do not each wait for a disk sync. A
// session that a crash cuts off stays resumable: every node refreshes the expiry of the sessions
// attached to it, and those of a node that died expire one window after its last refresh.

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/recovery.hpp"
#include "store/store.hpp"

namespace live {

struct Member;

class StoredSessions : public socketio::SessionStore {
 public:
  struct Options {
    std::chrono::seconds window{600};  // RECOVERY_SECONDS
    // The most comments one resumed session is sent; a client that missed more gets a new
    // session and pages through REST.
    int max_missed = 1000;  // below store::kMaxCommentsAfter, so that one more can be read
  };
  StoredSessions(store::Store& store, boost::asio::thread_pool& workers, Options options);

  // Starts and stops the heartbeat that keeps this node's sessions alive.
  void start();
  void stop();

  std::optional<std::string> record(const socketio::Packet&,
                                    const socketio::BroadcastOptions&) override {
    return std::nullopt;  // only comment.created is replayed, with its comment id as offset
  }
  void opened(const socketio::Socket& socket) override;
  void rooms_changed(const socketio::Socket& socket) override;
  void closed(const socketio::Socket& socket, std::vector<std::string> rooms,
              socketio::DisconnectReason reason) override;
  void restore(const socketio::Socket& socket, const std::string& pid,
               const std::optional<std::string>& offset, RestoreHandler done) override;
  void missed(const socketio::Socket& socket, const socketio::SavedSession& session,
              const std::optional<std::string>& offset, MissedHandler done) override;

 private:
  store::Timestamp expiry_from_now() const;
  void arm_heartbeat();
  // Whether a claimed session may be resumed by this member from `offset`.
  bool resumable(const store::RecoverySession& session, const Member& member,
                 const std::optional<std::string>& offset);
  void write(store::RecoveryWrite::Kind kind, store::RecoverySession session);
  void flush();
  void heartbeat();

  store::Store& store_;
  boost::asio::thread_pool& workers_;
  const Options options_;
  const std::string node_;  // this process, among the nodes sharing the database
  std::mutex mutex_;
  std::vector<store::RecoveryWrite> queued_;
  // The queued open or rooms write of each session, by pid, that a change of rooms may merge into.
  std::unordered_map<std::string, std::size_t> mergeable_;
  bool flushing_ = false;
  boost::asio::strand<boost::asio::thread_pool::executor_type> heartbeat_strand_;
  boost::asio::steady_timer heartbeat_;  // heartbeat_strand_ only
  bool stopped_ = false;                 // heartbeat_strand_ only
};

}  // namespace live
