#include "live/presence.hpp"

#include <algorithm>
#include <map>

#include "live/comment_broadcaster.hpp"

namespace live {

namespace json = boost::json;

namespace {

// The distinct users of `sockets`, by id: a user with two tabs open is one viewer.
json::array viewers_of(const std::vector<socketio::SocketInfo>& sockets) {
  std::map<std::int64_t, json::object> users;
  for (const auto& socket : sockets) {
    const auto* data = socket.data.if_object();
    const auto* user = data ? data->if_contains("user") : nullptr;
    const auto* fields = user ? user->if_object() : nullptr;
    const auto* id = fields ? fields->if_contains("id") : nullptr;
    // Sockets of other servers (a Node.js node in a mixed cluster) may carry anything.
    if (!id || !id->is_int64()) continue;
    users.emplace(id->get_int64(), *fields);
  }
  json::array viewers;
  viewers.reserve(users.size());
  for (auto& [id, user] : users) viewers.emplace_back(std::move(user));
  return viewers;
}

}  // namespace

Presence::Presence(socketio::Namespace& nsp, boost::asio::thread_pool& workers, Options options)
    : nsp_(nsp), workers_(workers), options_(options) {}

json::value Presence::socket_data(const Viewer& user) {
  return json::object{{"user", {{"id", user.id}, {"username", user.username}}}};
}

void Presence::viewers(std::int64_t report_id, ViewersHandler done) {
  {
    std::unique_lock lock(mutex_);
    if (!options_.cluster_wide) {
      auto viewers = tallied(report_id);
      lock.unlock();
      done(std::move(viewers));
      return;
    }
    const auto now = Clock::now();
    forget_stale(now);
    auto& known = known_[report_id];
    if (known.reading) {
      known.waiting.push_back(std::move(done));
      return;
    }
    if (now - known.read_at < options_.debounce) {
      auto viewers = known.viewers;
      lock.unlock();
      done(std::move(viewers));
      return;
    }
    known.reading = true;
    known.waiting.push_back(std::move(done));
  }
  read(report_id, [this, report_id](json::array viewers) { learned(report_id, viewers); });
}

json::array Presence::tallied(std::int64_t report_id) const {
  json::array viewers;
  const auto audience = audiences_.find(report_id);
  if (audience == audiences_.end()) return viewers;
  viewers.reserve(audience->second.followers.size());
  for (const auto& [id, follower] : audience->second.followers) {
    viewers.push_back(json::object{{"id", id}, {"username", follower.username}});
  }
  return viewers;
}

void Presence::follow(std::int64_t report_id, const Viewer& user, bool following) {
  bool users_changed = false;
  {
    std::lock_guard lock(mutex_);
    auto& audience = audiences_[report_id];
    auto& follower = audience.followers[user.id];
    const int change = following ? 1 : -1;
    follower.sockets += change;
    audience.sockets += change;
    // Only a user's first socket in, or last out, changes the list; on every node, since the
    // cluster's list is the union of the nodes' lists.
    users_changed = follower.sockets == (following ? 1 : 0);
    if (follower.sockets > 0) {
      follower.username = user.username;
    } else {
      audience.followers.erase(user.id);
      if (audience.followers.empty()) audiences_.erase(report_id);
    }
  }
  if (users_changed) changed(report_id);
}

std::chrono::milliseconds Presence::debounce_interval(std::size_t sockets, const Options& options) {
  const auto interval = std::chrono::ceil<std::chrono::milliseconds>(
      options.per_listener * static_cast<std::int64_t>(sockets));
  return std::clamp(interval, options.debounce, std::max(options.debounce, options.longest));
}

std::chrono::milliseconds Presence::debounce_for(std::int64_t report_id) const {
  const auto audience = audiences_.find(report_id);
  return debounce_interval(audience == audiences_.end() ? 0 : audience->second.sockets, options_);
}

void Presence::learned(std::int64_t report_id, const json::array& viewers) {
  std::vector<ViewersHandler> waiting;
  {
    std::lock_guard lock(mutex_);
    auto& known = known_[report_id];
    known.viewers = viewers;
    known.read_at = Clock::now();
    known.reading = false;
    waiting.swap(known.waiting);
  }
  for (auto& done : waiting) done(viewers);
}

void Presence::forget_stale(Clock::time_point now) {
  constexpr std::size_t kKeep = 10'000;
  if (known_.size() < kKeep) return;
  std::erase_if(known_, [&](const auto& entry) {
    return !entry.second.reading && now - entry.second.read_at >= options_.debounce;
  });
}

void Presence::read(std::int64_t report_id, ViewersHandler done) {
  socketio::BroadcastOptions in_room;
  in_room.rooms.push_back(report_room(report_id));
  nsp_.adapter().fetch_sockets(in_room,
                               [done = std::move(done)](std::vector<socketio::SocketInfo> sockets) {
                                 done(viewers_of(sockets));
                               });
}

void Presence::changed(std::int64_t report_id) {
  std::lock_guard lock(mutex_);
  // The list known here is stale now: the next join reads it again.
  if (auto known = known_.find(report_id); known != known_.end()) known->second.read_at = {};
  if (stopped_ || waiting_.contains(report_id)) return;  // its announcement is on its way
  auto timer = std::make_unique<boost::asio::steady_timer>(workers_, debounce_for(report_id));
  timer->async_wait([this, report_id](boost::system::error_code ec) {
    if (!ec) announce(report_id);
  });
  waiting_.emplace(report_id, std::move(timer));
}

void Presence::announce(std::int64_t report_id) {
  json::array local;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    waiting_.erase(report_id);  // a change from now on gets an announcement of its own
    if (!options_.cluster_wide) local = tallied(report_id);
  }
  auto tell_room = [this, report_id](json::array viewers) {
    {
      std::lock_guard lock(mutex_);
      if (options_.cluster_wide) {
        auto& known = known_[report_id];
        known.viewers = viewers;
        known.read_at = Clock::now();
      }
    }
    nsp_.to(report_room(report_id))
        .emit("report.viewers",
              {json::object{{"reportId", report_id}, {"viewers", std::move(viewers)}}});
  };
  if (options_.cluster_wide) {
    read(report_id, std::move(tell_room));
  } else {
    tell_room(std::move(local));
  }
}

void Presence::stop() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& [id, timer] : waiting_) timer->cancel();
}

}  // namespace live
