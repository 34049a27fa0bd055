#include "live/stored_sessions.hpp"

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/assert.hpp>

#include "base/random.hpp"
#include "live/comment_broadcaster.hpp"
#include "live/member.hpp"
#include "net/log.hpp"
#include "service/clock.hpp"
#include "service/representation.hpp"
#include "socketio/event_packet.hpp"
#include "socketio/namespace.hpp"

namespace live {
namespace {

namespace asio = boost::asio;
using Kind = store::RecoveryWrite::Kind;

// A connection's hold on its saved session. It only tells holders apart and never leaves the
// servers, so 88 random bits are plenty; 11 bytes make 15 characters, which std::string keeps
// inline, sparing every connection a heap block.
std::string new_owner_token() {
  return base::random_token(11);
}

std::vector<std::int64_t> report_ids_of(const std::vector<std::string>& rooms) {
  std::vector<std::int64_t> ids;
  for (const auto& room : rooms) {
    if (auto id = report_of_room(room)) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::string> rooms_of(const std::vector<std::int64_t>& report_ids) {
  std::vector<std::string> rooms;
  rooms.reserve(report_ids.size());
  for (auto id : report_ids) rooms.push_back(report_room(id));
  return rooms;
}

// The session `pid` as its holder `owner` writes it; the other fields as the write needs.
store::RecoverySession held(const std::string& pid, const std::string& owner) {
  store::RecoverySession session;
  session.pid = pid;
  session.owner = owner;
  return session;
}

std::chrono::seconds heartbeat_interval(std::chrono::seconds window) {
  return std::clamp(window / 3, std::chrono::seconds(1), std::chrono::seconds(60));
}

}  // namespace

StoredSessions::StoredSessions(store::Store& store, asio::thread_pool& workers, Options options)
    : store_(store),
      workers_(workers),
      options_(options),
      node_(base::random_token(15)),
      heartbeat_strand_(asio::make_strand(workers)),
      heartbeat_(heartbeat_strand_) {
  BOOST_ASSERT(options_.max_missed < store::kMaxCommentsAfter);
}

void StoredSessions::start() {
  asio::dispatch(heartbeat_strand_, [this] { arm_heartbeat(); });
}

void StoredSessions::arm_heartbeat() {
  BOOST_ASSERT(heartbeat_strand_.running_in_this_thread());
  if (stopped_) return;
  heartbeat_.expires_after(heartbeat_interval(options_.window));
  heartbeat_.async_wait([this](boost::system::error_code ec) {
    if (!ec) heartbeat();
  });
}

void StoredSessions::stop() {
  // On the heartbeat's strand, so that a heartbeat running now does not arm the next one.
  asio::dispatch(heartbeat_strand_, [this] {
    stopped_ = true;
    heartbeat_.cancel();
  });
}

void StoredSessions::heartbeat() {
  try {
    const auto purged =
        store_.refresh_recovery_sessions(node_, expiry_from_now(), service::service_now());
    if (purged > 0) {
      net::log_event(net::LogLevel::debug, "live_sessions_expired",
                     {{"count", std::to_string(purged)}});
    }
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::warn, "live_sessions_refresh_failed", {{"error", e.what()}});
  }
  arm_heartbeat();
}

store::Timestamp StoredSessions::expiry_from_now() const {
  return service::service_now() + options_.window;
}

void StoredSessions::opened(const socketio::Socket& socket) {
  auto member = member_of(socket);
  if (!member || socket.recovered()) return;  // a resumed session was claimed by restore
  member->recovery_owner = new_owner_token();
  auto session = held(socket.pid(), member->recovery_owner);
  session.sid = socket.id();
  session.user_id = member->user.id;
  session.node = node_;
  session.expires_at = expiry_from_now();
  write(Kind::open, std::move(session));
}

void StoredSessions::rooms_changed(const socketio::Socket& socket) {
  auto member = member_of(socket);
  if (!member || member->recovery_owner.empty()) return;
  auto session = held(socket.pid(), member->recovery_owner);
  session.report_ids = report_ids_of(socket.rooms());
  write(Kind::rooms, std::move(session));
}

void StoredSessions::closed(const socketio::Socket& socket, std::vector<std::string>,
                            socketio::DisconnectReason reason) {
  auto member = member_of(socket);
  if (!member || member->recovery_owner.empty()) return;
  auto session = held(socket.pid(), member->recovery_owner);
  if (socketio::is_recoverable(reason)) {
    session.expires_at = expiry_from_now();
    write(Kind::detach, std::move(session));
  } else {
    write(Kind::remove, std::move(session));
  }
}

void StoredSessions::restore(const socketio::Socket& socket, const std::string& pid,
                             const std::optional<std::string>& offset, RestoreHandler done) {
  auto member = member_of(socket);
  if (!member) {
    done(std::nullopt);
    return;
  }
  member->recovery_owner = new_owner_token();
  asio::post(workers_, [this, member, pid, offset, done = std::move(done)] {
    try {
      const auto now = service::service_now();
      auto session = store_.claim_recovery_session(pid, member->recovery_owner, node_, now,
                                                   now + options_.window);
      if (!session) return done(std::nullopt);
      if (!resumable(*session, *member, offset)) {
        // Claimed, so gone for whoever held it: gone for good, not left attached here.
        write(Kind::remove, held(pid, member->recovery_owner));
        return done(std::nullopt);
      }
      member->recovery_since = session->since;
      done(socketio::SavedSession{session->sid, rooms_of(session->report_ids)});
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::warn, "live_session_restore_failed",
                     {{"user_id", std::to_string(member->user.id)}, {"error", e.what()}});
      done(std::nullopt);
    }
  });
}

bool StoredSessions::resumable(const store::RecoverySession& session, const Member& member,
                               const std::optional<std::string>& offset) {
  // The session of another user is not this client's, whatever the pid says.
  if (session.user_id != member.user.id) return false;
  if (!offset) return true;
  // An offset that is no comment of the session's rooms (e.g. the last argument of an event that
  // a Node.js node emitted) says nothing of what the client has.
  const auto id = parse_positive_id(*offset);
  const auto comment = id ? store_.find_comment(*id) : std::nullopt;
  return comment && std::binary_search(session.report_ids.begin(), session.report_ids.end(),
                                       comment->report_id);
}

void StoredSessions::missed(const socketio::Socket& socket, const socketio::SavedSession& session,
                            const std::optional<std::string>& offset, MissedHandler done) {
  auto member = member_of(socket);
  const auto after = !member  ? std::nullopt
                     : offset ? parse_positive_id(*offset)
                              : std::optional(member->recovery_since);
  if (!after) {
    done(std::nullopt);
    return;
  }
  asio::post(workers_, [this, nsp = socket.nsp().name(), report_ids = report_ids_of(session.rooms),
                        after = *after, done = std::move(done)] {
    try {
      auto comments = store_.comments_after(report_ids, after, options_.max_missed + 1);
      if (comments.size() > static_cast<std::size_t>(options_.max_missed)) {
        return done(std::nullopt);
      }
      std::vector<socketio::Packet> packets;
      packets.reserve(comments.size());
      for (const auto& comment : comments) {
        packets.push_back(socketio::make_event_packet(
            nsp, "comment.created",
            {service::comment_json(comment, service::TimeStyle::utc), std::to_string(comment.id)},
            {}));
      }
      done(std::move(packets));
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::warn, "live_session_replay_failed", {{"error", e.what()}});
      done(std::nullopt);
    }
  });
}

void StoredSessions::write(Kind kind, store::RecoverySession session) {
  std::lock_guard lock(mutex_);
  const auto queued = mergeable_.find(session.pid);
  if (kind == Kind::rooms && queued != mergeable_.end() &&
      queued_[queued->second].session.owner == session.owner) {
    // The session's insert or last change of rooms is still queued: the new rooms ride along
    // with it (both set `since` when the batch is written), so that a connect and its first
    // join_report cost one statement, not two.
    queued_[queued->second].session.report_ids = std::move(session.report_ids);
    return;
  }
  if (kind == Kind::open || kind == Kind::rooms) {
    mergeable_.insert_or_assign(session.pid, queued_.size());
  } else if (queued != mergeable_.end()) {
    mergeable_.erase(queued);  // rooms changed after this write must follow it
  }
  queued_.push_back({kind, std::move(session)});
  if (flushing_) return;
  flushing_ = true;
  asio::post(workers_, [this] { flush(); });
}

void StoredSessions::flush() {
  for (;;) {
    std::vector<store::RecoveryWrite> batch;
    {
      std::lock_guard lock(mutex_);
      if (queued_.empty()) {
        flushing_ = false;
        return;
      }
      batch.swap(queued_);
      mergeable_.clear();
    }
    try {
      store_.write_recovery_sessions(batch);
    } catch (const std::exception& e) {
      // Sessions are a convenience: losing these writes costs their clients a resume, no data.
      net::log_event(net::LogLevel::warn, "live_sessions_write_failed",
                     {{"count", std::to_string(batch.size())}, {"error", e.what()}});
    }
  }
}

}  // namespace live
