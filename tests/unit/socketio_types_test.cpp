#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "socketio/disconnect_reason.hpp"
#include "socketio/errors.hpp"
#include "socketio/extensions.hpp"

using engineio::CloseReason;
using socketio::DisconnectReason;

TEST(Extensions, HoldsOneValuePerTypeAndFindsEach) {
  socketio::Extensions extensions;
  EXPECT_EQ(extensions.get<int>(), nullptr);
  extensions.insert(7);
  extensions.insert(std::string("seven"));
  extensions.insert(std::make_shared<double>(7.5));
  ASSERT_NE(extensions.get<int>(), nullptr);
  EXPECT_EQ(*extensions.get<int>(), 7);
  EXPECT_EQ(*extensions.get<std::string>(), "seven");
  EXPECT_EQ(**extensions.get<std::shared_ptr<double>>(), 7.5);
  EXPECT_EQ(extensions.get<long>(), nullptr);  // no conversions: the exact type only

  extensions.insert(8);  // replaces
  EXPECT_EQ(*extensions.get<int>(), 8);
  const auto& read_only = extensions;
  EXPECT_EQ(*read_only.get<std::string>(), "seven");
}

TEST(Extensions, ReleasesItsValues) {
  auto shared = std::make_shared<int>(1);
  {
    socketio::Extensions extensions;
    extensions.insert(shared);
    EXPECT_EQ(shared.use_count(), 2);
    extensions.clear();
    EXPECT_EQ(shared.use_count(), 1);
    extensions.insert(shared);
  }
  EXPECT_EQ(shared.use_count(), 1);
}

TEST(DisconnectReason, EngineIoReasonsMapToTheSocketIoOnes) {
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::transport_close),
            DisconnectReason::transport_close);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::ping_timeout),
            DisconnectReason::ping_timeout);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::parse_error),
            DisconnectReason::parse_error);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::payload_too_large),
            DisconnectReason::transport_error);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::send_buffer_overflow),
            DisconnectReason::transport_error);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::server_shutting_down),
            DisconnectReason::server_shutting_down);
  EXPECT_EQ(socketio::disconnect_reason_of(CloseReason::forced_close),
            DisconnectReason::forced_close);
}

TEST(DisconnectReason, OnlyUnchosenEndsCountAsALostConnection) {
  EXPECT_TRUE(socketio::is_connection_lost(DisconnectReason::transport_close));
  EXPECT_TRUE(socketio::is_connection_lost(DisconnectReason::transport_error));
  EXPECT_TRUE(socketio::is_connection_lost(DisconnectReason::ping_timeout));
  EXPECT_FALSE(socketio::is_connection_lost(DisconnectReason::client_namespace_disconnect));
  EXPECT_FALSE(socketio::is_connection_lost(DisconnectReason::server_namespace_disconnect));
  EXPECT_FALSE(socketio::is_connection_lost(DisconnectReason::server_shutting_down));
  EXPECT_FALSE(socketio::is_connection_lost(DisconnectReason::forced_close));
  EXPECT_FALSE(socketio::is_connection_lost(DisconnectReason::parse_error));
}

TEST(DisconnectReason, NamesAreTheReferenceServers) {
  EXPECT_EQ(socketio::to_string(DisconnectReason::server_namespace_disconnect),
            "server namespace disconnect");
  EXPECT_EQ(socketio::to_string(DisconnectReason::client_namespace_disconnect),
            "client namespace disconnect");
  EXPECT_EQ(socketio::to_string(DisconnectReason::ping_timeout), "ping timeout");
}

TEST(SocketIoError, IsAnErrorCodeWithItsMessage) {
  const boost::system::error_code ec = socketio::Error::too_many_attachments;
  EXPECT_EQ(ec.category().name(), std::string("socketio"));
  EXPECT_EQ(ec.message(), "too many attachments");
  EXPECT_TRUE(ec == socketio::Error::too_many_attachments);
  EXPECT_FALSE(ec == socketio::Error::bad_ack_id);
}
