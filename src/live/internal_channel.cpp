#include "live/internal_channel.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "live/comment_broadcaster.hpp"
#include "live/member.hpp"
#include "net/log.hpp"
#include "service/representation.hpp"

namespace live {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// join_report requests one socket may have waiting for the database; more are refused at once,
// so that a flood from one client cannot fill the worker pool that everyone shares.
constexpr int kMaxPendingRequests = 16;

std::string token_of(const socketio::Socket& socket) {
  if (const auto* auth = socket.auth().if_object()) {
    if (const auto* token = auth->if_contains("token"); token && token->is_string()) {
      return std::string(token->get_string());
    }
  }
  return std::string(socket.request().bearer_token());
}

socketio::ConnectError refusal(std::string message, int code) {
  return socketio::ConnectError{std::move(message), json::object{{"code", code}}};
}

json::object failure(std::string_view code, std::string_view message) {
  return {{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
}

// The reportId of {reportId: n}: a JSON integer from 1 to 2^63-1; floats, strings and
// anything out of range are refused.
std::optional<std::int64_t> report_id_of(const json::value& argument) {
  const auto* object = argument.if_object();
  if (!object) return std::nullopt;
  const auto* id = object->if_contains("reportId");
  if (!id) return std::nullopt;
  if (id->is_int64() && id->get_int64() > 0) return id->get_int64();
  if (id->is_uint64() && id->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX) &&
      id->get_uint64() > 0) {
    return static_cast<std::int64_t>(id->get_uint64());
  }
  return std::nullopt;
}

// join_report's optional afterCommentId: absent, or a comment id from 0 (from the start) to
// 2^63-1. An unusable value is an error, not a silent "absent".
struct AfterCommentId {
  bool valid = true;
  std::optional<std::int64_t> value;
};
AfterCommentId after_comment_id_of(const json::value& argument) {
  const auto* object = argument.if_object();
  const auto* after = object ? object->if_contains("afterCommentId") : nullptr;
  if (!after) return {};
  if (after->is_int64() && after->get_int64() >= 0) return {true, after->get_int64()};
  if (after->is_uint64() && after->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return {true, static_cast<std::int64_t>(after->get_uint64())};
  }
  return {false, std::nullopt};
}

// How many comments a join_report ack carries at most; the client pages through REST for more.
constexpr int kCatchUpComments = 100;

}  // namespace

InternalChannel::InternalChannel(socketio::Namespace& nsp, service::AuthService& auth,
                                 service::ReportService& reports, asio::thread_pool& workers,
                                 AccessWatch& access, Presence& presence)
    : auth_(auth),
      reports_(reports),
      workers_(workers),
      access_(access),
      presence_(presence),
      expiry_(workers) {
  nsp.use([this](socketio::Socket& socket, socketio::Namespace::Next next) {
    authenticate(socket, std::move(next));
  });
  nsp.on_connection([this](socketio::Socket& socket) { on_connection(socket); });
  nsp.on("join_report", [this](socketio::Socket& s, socketio::Event& e) { follow(s, e, true); });
  nsp.on("leave_report", [this](socketio::Socket& s, socketio::Event& e) { follow(s, e, false); });
  nsp.on_disconnect([this](socketio::Socket& socket, socketio::DisconnectReason reason) {
    on_disconnect(socket, reason);
  });
}

void InternalChannel::authenticate(socketio::Socket& socket, socketio::Namespace::Next next) {
  asio::post(workers_, [this, socket = socket.shared_from_this(), token = token_of(socket),
                        next = std::move(next)] {
    try {
      auto principal = auth_.authenticate(token);
      // The verifier's leeway is for clocks that differ, not for a connection: one opened with a
      // token past its exp would end at once, after a resumed session was sent what it missed.
      if (principal.expires_at <= std::chrono::system_clock::now()) {
        net::log_event(net::LogLevel::info, "live_refused",
                       {{"reason", "token_expired"},
                        {"user_id", std::to_string(principal.user.id)},
                        {"remote", socket->request().remote_address}});
        next(refusal("unauthorized", 401));
        return;
      }
      if (!principal.user.internal) {
        net::log_event(net::LogLevel::info, "live_refused",
                       {{"reason", "forbidden"},
                        {"user_id", std::to_string(principal.user.id)},
                        {"remote", socket->request().remote_address}});
        next(refusal("forbidden", 403));
        return;
      }
      // Only who they are is kept for the connection's lifetime: no secrets, and little memory.
      Viewer user{principal.user.id, std::move(principal.user.username)};
      // Other nodes learn who is there from the sockets' data; one node keeps its own tally.
      if (presence_.cluster_wide()) socket->set_data(Presence::socket_data(user));
      socket->extensions.insert(std::make_shared<Member>(std::move(user), principal.expires_at));
      next(std::nullopt);
    } catch (const service::Error& e) {
      net::log_event(net::LogLevel::info, "live_refused",
                     {{"reason", "unauthorized"},
                      {"detail", e.what()},
                      {"remote", socket->request().remote_address}});
      if (e.kind() == service::Error::Kind::unavailable) {
        next(refusal("unavailable", 503));
      } else {
        next(refusal("unauthorized", 401));
      }
    } catch (const std::exception& e) {
      net::log_event(net::LogLevel::error, "live_auth_failed", {{"error", e.what()}});
      next(refusal("unavailable", 503));
    }
  });
}

void InternalChannel::on_connection(socketio::Socket& socket) {
  auto member = member_of(socket);
  net::log_event(net::LogLevel::info, "live_connected",
                 {{"user_id", std::to_string(member->user.id)},
                  {"socket", socket.id()},
                  {"remote", socket.request().remote_address}});

  // A token is only good until it expires, and so is the connection it opened.
  expiry_.add(*member, socket.shared_from_this());

  // A resumed session is back in its rooms without a join_report.
  for (const auto& room : socket.rooms()) {
    if (auto id = report_of_room(room)) followed(*member, *id, true);
  }
  access_.watch(member->user.id, socket.shared_from_this());
}

void InternalChannel::on_disconnect(socketio::Socket& socket, socketio::DisconnectReason reason) {
  const auto member = member_of(socket);
  expiry_.remove(*member);
  access_.forget(member->user.id, socket);
  for (auto id : member->following()) presence_.follow(id, member->user, false);
  net::log_event(net::LogLevel::info, "live_disconnected",
                 {{"user_id", std::to_string(member->user.id)},
                  {"socket", socket.id()},
                  {"reason", socketio::to_string(reason)}});
}

void InternalChannel::ack_with_viewers(std::shared_ptr<socketio::Event> pending,
                                       json::object answer, const Viewer& user,
                                       std::int64_t report_id) {
  presence_.viewers(report_id, [pending, answer = std::move(answer), self = user.id,
                                data = Presence::socket_data(user)](json::array viewers) mutable {
    // The join may still be on its way to the room: the joiner is a viewer all the same.
    const auto at = std::find_if(viewers.begin(), viewers.end(), [&](const json::value& viewer) {
      return viewer.at("id").to_number<std::int64_t>() >= self;
    });
    if (at == viewers.end() || at->at("id").to_number<std::int64_t>() != self) {
      viewers.insert(at, data.at("user"));
    }
    answer["viewers"] = std::move(viewers);
    pending->ack({std::move(answer)});
  });
}

void InternalChannel::catch_up(json::object& answer, const store::User& user,
                               std::int64_t report_id, std::int64_t after) {
  auto page = reports_.list_comments(user, report_id, after, kCatchUpComments);
  json::array comments;
  comments.reserve(page.items.size());
  for (const auto& comment : page.items) {
    comments.push_back(service::comment_json(comment, service::TimeStyle::utc));
  }
  answer["comments"] = std::move(comments);
  answer["more"] = page.next_after.has_value();
}

void InternalChannel::follow(socketio::Socket& socket, socketio::Event& event, bool join) {
  const auto id = report_id_of(event.arg(0));
  if (!id) {
    event.ack({failure("invalid_report_id", "reportId must be a positive integer")});
    return;
  }
  const auto after = after_comment_id_of(event.arg(0));
  if (join && !after.valid) {
    event.ack({failure("invalid_after_comment_id",
                       "afterCommentId must be a comment id (an integer from 0)")});
    return;
  }
  auto member = member_of(socket);
  if (!join && member->pending == 0) {
    const auto room = report_room(*id);
    // Leaving needs no database, and no join is waiting that it could overtake.
    socket.leave(room);
    followed(*member, *id, false);
    event.ack({json::object{{"ok", true}, {"room", room}}});
    return;
  }
  if (member->pending.fetch_add(1) >= kMaxPendingRequests) {
    member->pending.fetch_sub(1);
    event.ack({failure("too_many_requests", "too many join_report requests in flight")});
    return;
  }
  auto pending = std::make_shared<socketio::Event>(std::move(event));
  asio::post(member->request_strand(workers_), [this, socket = socket.shared_from_this(), member,
                                                pending, id = *id, join, after = after.value] {
    guarded(*socket, *member, *pending, id, [&] {
      if (join) {
        start_join(socket, member, pending, id, after);
      } else {
        socket->leave(report_room(id));
        followed(*member, id, false);
        pending->ack({json::object{{"ok", true}, {"room", report_room(id)}}});
        member->request_done();
      }
    });
  });
}

void InternalChannel::start_join(const socketio::SocketPtr& socket,
                                 const std::shared_ptr<Member>& member,
                                 const std::shared_ptr<socketio::Event>& pending,
                                 std::int64_t report_id, std::optional<std::int64_t> after) {
  // The user may have lost their access since they connected.
  auto user = auth_.check_still_internal(member->user.id);
  reports_.check_report_exists(report_id);
  // The comments are read as this user, as stored now.
  auto joined = [this, socket, member, pending, report_id, after, user = std::move(user)] {
    followed(*member, report_id, true);
    json::object answer{{"ok", true}, {"room", report_room(report_id)}};
    if (!after) {
      ack_with_viewers(pending, std::move(answer), member->user, report_id);
      member->request_done();
      return;
    }
    // In the room now, so the comments read from here on are all either in the answer or still
    // to come as comment.created (one may be both: the README says to keep one per id).
    asio::post(workers_, [this, socket, member, pending, report_id, after, user,
                          answer = std::move(answer)]() mutable {
      guarded(*socket, *member, *pending, report_id, [&] {
        catch_up(answer, user, report_id, *after);
        ack_with_viewers(pending, std::move(answer), member->user, report_id);
        member->request_done();
      });
    });
  };
  socket->join(report_room(report_id), std::move(joined));
}

void InternalChannel::followed(Member& member, std::int64_t report_id, bool following) {
  if (member.followed(report_id, following)) presence_.follow(report_id, member.user, following);
}

void InternalChannel::stop() {
  expiry_.stop();
}

void InternalChannel::guarded(socketio::Socket& socket, Member& member, socketio::Event& pending,
                              std::int64_t report_id, const std::function<void()>& step) {
  try {
    step();
    return;
  } catch (const service::Error& e) {
    pending.ack({failure(e.code(), e.what())});
    if (e.kind() == service::Error::Kind::unauthorized ||
        e.kind() == service::Error::Kind::forbidden) {
      net::log_event(net::LogLevel::info, "live_access_revoked",
                     {{"user_id", std::to_string(member.user.id)},
                      {"socket", socket.id()},
                      {"reason", e.code()}});
      socket.disconnect();
    }
  } catch (const std::exception& e) {
    net::log_event(
        net::LogLevel::error, "live_follow_failed",
        {{"socket", socket.id()}, {"report_id", std::to_string(report_id)}, {"error", e.what()}});
    pending.ack({failure("unavailable", "try again later")});
  }
  member.request_done();
}

}  // namespace live
