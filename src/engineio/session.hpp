#pragma once
// One Engine.IO session: a client identified by its sid across polling requests and, after an
// upgrade, one WebSocket. All state lives on the session's strand; the public send/close
// members may be called from any thread. The lifecycle, sends and closing are in session.cpp,
// the polling transport in session_polling.cpp (with PollQueue), the WebSocket transport and
// the upgrade in session_websocket.cpp, and the heartbeat timer in Heartbeat.

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engineio/close_reason.hpp"
#include "engineio/heartbeat.hpp"
#include "engineio/observer.hpp"
#include "engineio/options.hpp"
#include "engineio/outbox.hpp"
#include "engineio/packet.hpp"
#include "engineio/poll_queue.hpp"
#include "engineio/session_listener.hpp"
#include "net/http_handler.hpp"

namespace engineio {

class SessionRegistry;

class Session final : public std::enable_shared_from_this<Session>,
                      public net::WebSocketListener,
                      public HeartbeatOwner {
 public:
  enum class Transport : std::uint8_t { polling, websocket };

  // `transport`: what the session opens on (the one it keeps, unless a polling one upgrades).
  Session(std::string id, Transport transport, net::Strand strand, net::HttpRequest request,
          const ServerOptions& options, SessionRegistry& registry, Observer& observer,
          HeartbeatScheduler& heartbeats);
  ~Session();

  const std::string& id() const { return id_; }
  // What the session keeps of the HTTP request that opened it: target, remote address, and the
  // headers in ServerOptions::kept_headers.
  const net::RequestHead& request() const { return request_; }
  net::Strand executor() const { return strand_; }

  // Strand only. Set it when the server announces the session. It is held until the session
  // closes, then dropped, which breaks the cycle of a listener that holds its session.
  void listen(std::shared_ptr<SessionListener> listener);
  Transport transport() const { return transport_; }

  // Any thread. Sends a packet that may be shared with other sessions; it is never copied.
  // On the session's strand the status is exact. From another thread the packet is handed to
  // the strand: the status is queued, or dropped_closed for a session known to be closed; a
  // drop found there (a send buffer overflow) closes the session, whose close handler says so.
  net::SendStatus send(SharedPacket packet);
  // Any thread. Sends packets that must stay together, in order (e.g. a packet and its binary
  // attachments), even when other threads send to this session at the same time.
  net::SendStatus send(std::vector<SharedPacket> packets);
  // Any thread. Sends the packet only if the transport can take it right away; drops it
  // otherwise (for data that is useless when late).
  net::SendStatus send_volatile(SharedPacket packet);
  net::SendStatus send_text(std::string_view text);
  net::SendStatus send_binary(std::string bytes);
  // Strand only. While one lives, what is sent on the strand waits, and leaves a WebSocket in one
  // write when it ends (e.g. a recovering client's missed packets).
  class Corked {
   public:
    explicit Corked(Session& session);
    Corked(const Corked&) = delete;
    Corked& operator=(const Corked&) = delete;
    ~Corked();

   private:
    net::WebSocketPtr websocket_;  // null when the session is not on a WebSocket
  };

  // Any thread. Runs `task` on the session's strand: at once when called there, otherwise after
  // every send and task handed to this session before it, so that what one thread sends and
  // does to a session keeps its order (a task posted to executor() has no such place).
  void run_in_order(std::function<void()> task);
  // Any thread. Ends the session, telling the client with a close packet (a polling client
  // gets it with its next poll, or the session ends after a ping timeout).
  void close(CloseReason reason = CloseReason::forced_close);
  // Any thread. Ends the session now, even a polling one that no poll is waiting for (whose
  // client then learns at its next request that the session is gone): for a server that is
  // going away and will not wait for every client to poll again.
  void discard(CloseReason reason);

 private:
  friend class Server;
  friend class HandOffBatch;
  enum class State : std::uint8_t { open, upgrading, closing, closed };
  enum class Initiator { client, server };
  // What only a session on long-polling needs: the waiting GET and the packets that wait for a
  // poll or for the upgrade to end, and the WebSocket probed for an upgrade with its deadline.
  // Made for a session that opens on polling and dropped once it has upgraded or closed, so that
  // a session on a WebSocket carries one pointer for it.
  struct Polling {
    PollQueue queue;
    net::WebSocketPtr probe;
    std::unique_ptr<boost::asio::steady_timer> upgrade_timer;  // only while probing
  };
  bool has_poll() const { return polling_ && polling_->queue.has_poll(); }
  const net::WebSocket* probe() const { return polling_ ? polling_->probe.get() : nullptr; }

  // Called by Server on the strand.
  void start_polling(net::HttpExchangePtr handshake, const std::function<void(Session&)>& announce);
  void start_websocket(net::WebSocketPtr ws, const std::function<void(Session&)>& announce);
  // Answers a polling request that this session cannot take (closed, or upgraded); true if so.
  bool refuse_polling_request(const net::HttpExchangePtr& exchange);
  void handle_poll(net::HttpExchangePtr exchange);
  // The client closed the connection of `poll`, which this session held: as the reference
  // server does ("poll connection closed prematurely"), the session ends with a transport error
  // then, not at the heartbeat's timeout.
  void poll_abandoned(const std::weak_ptr<net::HttpExchange>& poll);
  void handle_post(std::string body, net::HttpExchangePtr exchange);
  void handle_oversized_post(net::HttpExchangePtr exchange);
  void handle_upgrade_request(net::HttpExchangePtr exchange);
  bool can_upgrade() const;

  SharedPacket open_packet(bool can_upgrade) const;
  net::SendStatus send_now(SharedPacket packet);
  // Has the strand send what other threads put in the outbox, if it was empty until now: at
  // once, or when this thread's HandOffBatch ends.
  void hand_over(bool outbox_was_empty);
  // Strand only: the hand-off's handler. Sends what waits in the outbox and runs its tasks,
  // and answers a waiting poll with what they sent.
  void send_handed_over();
  void send_outbox();
  // Strand only. Several packets about to be sent leave a WebSocket in one write: the WebSocket
  // to uncork afterwards, or null.
  net::WebSocketPtr cork_for(bool several);
  // Tells the observer that `count` packets were not sent, and returns `why`.
  net::SendStatus dropped(net::SendStatus why, std::size_t count = 1) const;
  // Tell the observer and the listener that the session ended, and the listener a message.
  void report_closed(CloseReason reason);
  void hand_up(std::string&& data, bool binary);
  net::SendStatus send_volatile_now(SharedPacket packet);
  bool can_send_immediately() const;
  void schedule_flush();
  void flush_poll();
  void on_packet(Packet&& packet);
  void on_websocket_message(const net::WebSocket& from, std::string&& data, bool binary) override;
  void on_websocket_closed(const net::WebSocket& from, boost::system::error_code reason) override;
  void on_probe_packet(Packet&& packet);
  void attach_websocket(net::WebSocketPtr ws);
  void complete_upgrade();
  void abandon_upgrade();
  void start_heartbeat(std::chrono::milliseconds delay);
  void heartbeat_due(std::uint64_t generation) override;
  void on_heartbeat();
  void end(CloseReason reason, bool discard);
  void close_now(CloseReason reason, Initiator initiator);
  void close_polling(Initiator initiator, bool was_closing);

  const std::string id_;
  net::Strand strand_;
  net::RequestHead request_;
  const ServerOptions& options_;
  SessionRegistry& registry_;
  Observer& observer_;

  // The small fields together, so that they share one word.
  State state_ = State::open;
  Transport transport_;
  CloseReason closing_reason_ = CloseReason::forced_close;  // while the close packet waits
  bool flush_scheduled_ = false;
  std::atomic<bool> ended_{false};  // closed or closing: sends are dropped at once
  Outbox outbox_;                   // what other threads sent, until the strand takes it
  std::unique_ptr<Polling> polling_;
  net::WebSocketPtr websocket_;  // the active transport once upgraded or opened directly
  Heartbeat heartbeat_;
  std::shared_ptr<SessionListener> listener_;
};

// Session objects alive in this process, closed ones included until they are torn down (for
// shutdown: a closed session is only gone once its handlers have let go of it).
std::size_t live_session_count();

}  // namespace engineio
