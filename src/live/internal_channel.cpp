#include "live/internal_channel.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/log_value.hpp"
#include "live/comment_broadcaster.hpp"
#include "live/member.hpp"

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

}  // namespace

InternalChannel::InternalChannel(socketio::Namespace& nsp, service::AuthService& auth,
                                 service::ReportService& reports, asio::thread_pool& workers,
                                 AccessWatch& access)
    : auth_(auth), reports_(reports), workers_(workers), access_(access) {
  nsp.use([this](socketio::Socket& socket, socketio::Namespace::Next next) {
    authenticate(socket, std::move(next));
  });
  nsp.on_connection([this](socketio::Socket& socket) { on_connection(socket); });
}

void InternalChannel::authenticate(socketio::Socket& socket, socketio::Namespace::Next next) {
  asio::post(workers_, [this, socket = socket.shared_from_this(), token = token_of(socket),
                        next = std::move(next)] {
    try {
      auto principal = auth_.authenticate(token);
      if (!principal.user.internal) {
        spdlog::info("event=live_refused reason=forbidden user_id={} remote={}", principal.user.id,
                     socket->request().remote_address);
        next(refusal("forbidden", 403));
        return;
      }
      principal.user.password_hash.clear();  // no secrets kept for the connection's lifetime
      principal.user.password_hash.shrink_to_fit();
      socket->extensions.insert(std::make_shared<Member>(
          std::move(principal.user), principal.expires_at, asio::make_strand(workers_)));
      next(std::nullopt);
    } catch (const service::Error& e) {
      spdlog::info("event=live_refused reason=unauthorized detail={} remote={}",
                   base::quoted(e.what()), socket->request().remote_address);
      if (e.kind() == service::Error::Kind::unavailable) {
        next(refusal("unavailable", 503));
      } else {
        next(refusal("unauthorized", 401));
      }
    } catch (const std::exception& e) {
      spdlog::error("event=live_auth_failed error={}", base::quoted(e.what()));
      next(refusal("unavailable", 503));
    }
  });
}

void InternalChannel::on_connection(socketio::Socket& socket) {
  auto member = member_of(socket);
  spdlog::info("event=live_connected user_id={} socket={} remote={}", member->user.id, socket.id(),
               socket.request().remote_address);

  // A token is only good until it expires, and so is the connection it opened.
  // In seconds, and capped: an external issuer may set exp centuries ahead.
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto left = std::clamp(member->expires_at - now, std::chrono::seconds(0),
                               std::chrono::seconds(std::chrono::hours(24 * 365)));
  member->expiry = std::make_unique<asio::steady_timer>(socket.executor());
  member->expiry->expires_after(left);
  member->expiry->async_wait([weak = socket.weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto expired = weak.lock()) {
      spdlog::info("event=live_token_expired socket={}", expired->id());
      expired->disconnect();
    }
  });

  socket.on("join_report", [this](socketio::Socket& s, socketio::Event& e) { follow(s, e, true); });
  socket.on("leave_report",
            [this](socketio::Socket& s, socketio::Event& e) { follow(s, e, false); });
  access_.watch(member->user.id, socket.shared_from_this());
  socket.on_disconnect([this, member](socketio::Socket& s, socketio::DisconnectReason reason) {
    member->expiry.reset();
    access_.forget(member->user.id, s);
    spdlog::info("event=live_disconnected user_id={} socket={} reason={}", member->user.id, s.id(),
                 base::quoted(socketio::to_string(reason)));
  });
}

void InternalChannel::follow(socketio::Socket& socket, socketio::Event& event, bool join) {
  const auto id = report_id_of(event.arg(0));
  if (!id) {
    event.ack({failure("invalid_report_id", "reportId must be a positive integer")});
    return;
  }
  const auto room = report_room(*id);
  auto member = member_of(socket);
  if (!join && member->pending == 0) {
    // Leaving needs no database, and no join is waiting that it could overtake.
    socket.leave(room);
    event.ack({json::object{{"ok", true}, {"room", room}}});
    return;
  }
  if (member->pending.fetch_add(1) >= kMaxPendingRequests) {
    member->pending.fetch_sub(1);
    event.ack({failure("too_many_requests", "too many join_report requests in flight")});
    return;
  }
  auto pending = std::make_shared<socketio::Event>(std::move(event));
  asio::post(member->requests,
             [this, socket = socket.shared_from_this(), member, pending, id = *id, room, join] {
               try {
                 if (join) {
                   // The user may have lost their access since they connected.
                   auth_.check_still_internal(member->user.id);
                   reports_.check_report_exists(id);
                   socket->join(room);
                 } else {
                   socket->leave(room);
                 }
                 pending->ack({json::object{{"ok", true}, {"room", room}}});
               } catch (const service::Error& e) {
                 pending->ack({failure(e.code(), e.what())});
                 if (e.kind() == service::Error::Kind::unauthorized ||
                     e.kind() == service::Error::Kind::forbidden) {
                   spdlog::info("event=live_access_revoked user_id={} socket={} reason={}",
                                member->user.id, socket->id(), base::quoted(e.code()));
                   socket->disconnect();
                 }
               } catch (const std::exception& e) {
                 spdlog::error("event=live_follow_failed socket={} report_id={} error={}",
                               socket->id(), id, base::quoted(e.what()));
                 pending->ack({failure("unavailable", "try again later")});
               }
               member->pending.fetch_sub(1);
             });
}

}  // namespace live
