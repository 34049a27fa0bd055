// socketio::LocalAdapter on its own: room membership by socket id, the selection a broadcast
// makes, and its consistency under concurrent use. The sockets are real, connected ones of
// polling sessions (socketio_harness.hpp), so that a delivery shows in what their client
// receives; the adapter under test is a separate one, fed by the test alone.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "socketio/event_packet.hpp"
#include "socketio/local_adapter.hpp"
#include "socketio_harness.hpp"

namespace {

using harness::ConnectedClient;
using socketio::BroadcastOptions;
using socketio::SocketId;
using Ids = std::set<SocketId>;

class LocalAdapterTest : public harness::SocketIoHarness {
 protected:
  LocalAdapterTest() { serve("/"); }

  // Connected clients, each added to the adapter under test.
  std::vector<ConnectedClient> add_clients(std::size_t count) {
    std::vector<ConnectedClient> clients;
    for (std::size_t i = 0; i < count; ++i) {
      clients.push_back(connect_client());
      if (clients.back().socket) adapter_.add_socket(clients.back().socket);
    }
    return clients;
  }
  const SocketId& id(const ConnectedClient& client) const { return client.socket->id(); }

  Ids fetch(const BroadcastOptions& options) {
    Ids ids;
    int calls = 0;
    adapter_.fetch_socket_ids(options, [&](std::vector<SocketId> found) {
      ++calls;
      ids.insert(found.begin(), found.end());
      EXPECT_EQ(ids.size(), found.size()) << "an id listed twice";
    });
    EXPECT_EQ(calls, 1);
    return ids;
  }
  Ids members(const std::string& room) const {
    Ids ids;
    const auto room_members = adapter_.members(room);  // held: it may be a list of its own
    for (const auto& socket : *room_members) ids.insert(socket->id());
    return ids;
  }
  Ids room_names() const {
    const auto names = adapter_.room_names();
    return Ids(names.begin(), names.end());
  }
  Ids rooms_of(const ConnectedClient& client) const {
    const auto rooms = adapter_.rooms_of(id(client));
    return Ids(rooms.begin(), rooms.end());
  }

  // Broadcasts event `name` with `options`; returns the ids of the clients that received it.
  Ids delivered(const std::string& name, const BroadcastOptions& options,
                const std::vector<ConnectedClient>& clients) {
    adapter_.broadcast(socketio::make_event_packet("/", name, {}, {}), options);
    poll();
    Ids ids;
    for (const auto& client : clients) {
      const auto received = received_now(client.sid);
      const auto copies = std::count(received.begin(), received.end(), R"(42[")" + name + R"("])");
      EXPECT_LE(copies, 1) << id(client) << " received " << name << " " << copies << " times";
      if (copies > 0) ids.insert(id(client));
    }
    return ids;
  }

  socketio::LocalAdapter adapter_;
};

BroadcastOptions in_rooms(std::vector<std::string> rooms, std::vector<std::string> except = {}) {
  BroadcastOptions options;
  options.rooms = std::move(rooms);
  options.except = std::move(except);
  return options;
}

TEST_F(LocalAdapterTest, AnAddedSocketIsInTheNamespaceAndInTheRoomOfItsId) {
  const auto clients = add_clients(1);
  ASSERT_NE(clients[0].socket, nullptr);
  EXPECT_EQ(rooms_of(clients[0]), Ids{id(clients[0])});
  EXPECT_EQ(members(id(clients[0])), Ids{id(clients[0])});
  EXPECT_EQ(fetch({}), Ids{id(clients[0])});
}

// A second add_socket of the same socket must not put it in the namespace's list again: a
// broadcast to everyone would reach it twice, and after remove_socket it would stay there (and
// keep the socket alive). As join() of a room already joined, it is ignored.
TEST_F(LocalAdapterTest, AddingASocketTwiceAddsItOnce) {
  const auto clients = add_clients(1);
  ASSERT_NE(clients[0].socket, nullptr);
  adapter_.add_socket(clients[0].socket);
  EXPECT_EQ(adapter_.members(id(clients[0]))->size(), 1u);
  EXPECT_EQ(fetch({}), Ids{id(clients[0])});
  EXPECT_EQ(delivered("once", {}, clients), Ids{id(clients[0])});

  adapter_.remove_socket(id(clients[0]));
  EXPECT_TRUE(fetch({}).empty()) << "a removed socket is no longer in the namespace";
}

TEST_F(LocalAdapterTest, JoinAndLeaveById) {
  const auto clients = add_clients(2);
  ASSERT_TRUE(clients[0].socket && clients[1].socket);
  const auto& a = clients[0];
  adapter_.join(id(a), "r");
  adapter_.join(id(a), "r");  // twice is once
  adapter_.join(id(clients[1]), "r");
  EXPECT_EQ(rooms_of(a), (Ids{id(a), "r"}));
  EXPECT_EQ(adapter_.members("r")->size(), 2u);

  adapter_.leave(id(a), "r");
  EXPECT_EQ(rooms_of(a), Ids{id(a)});
  EXPECT_EQ(members("r"), Ids{id(clients[1])});
  adapter_.leave(id(clients[1]), "r");
  EXPECT_TRUE(members("r").empty());
}

TEST_F(LocalAdapterTest, UnknownSocketsAndRoomsAreHarmless) {
  const auto clients = add_clients(1);
  ASSERT_NE(clients[0].socket, nullptr);
  adapter_.join("no such socket", "r");
  adapter_.leave("no such socket", "r");
  adapter_.leave(id(clients[0]), "never joined");
  adapter_.remove_socket("no such socket");
  EXPECT_TRUE(members("r").empty());
  EXPECT_TRUE(adapter_.rooms_of("no such socket").empty());
  EXPECT_EQ(rooms_of(clients[0]), Ids{id(clients[0])});
  EXPECT_TRUE(fetch(in_rooms({"no such room"})).empty());
}

// A socket's own room is implicit in the adapter (a flag, no Room): these check that it still
// behaves as in Node's in-memory adapter, where it is a room like any other.
TEST_F(LocalAdapterTest, ASocketCanLeaveTheRoomOfItsIdAndJoinItAgain) {
  const auto clients = add_clients(2);
  ASSERT_TRUE(clients[0].socket && clients[1].socket);
  const auto& a = clients[0];
  EXPECT_EQ(delivered("before", in_rooms({id(a)}), clients), Ids{id(a)});

  adapter_.leave(id(a), id(a));
  EXPECT_TRUE(rooms_of(a).empty());
  EXPECT_TRUE(members(id(a)).empty());
  EXPECT_TRUE(delivered("left", in_rooms({id(a)}), clients).empty());
  EXPECT_EQ(delivered("except", in_rooms({}, {id(a)}), clients), (Ids{id(a), id(clients[1])}))
      << "a socket out of its own room is not excepted by it";
  EXPECT_EQ(room_names(), Ids{id(clients[1])});

  adapter_.join(id(a), id(a));
  EXPECT_EQ(rooms_of(a), Ids{id(a)});
  EXPECT_EQ(delivered("back", in_rooms({id(a)}), clients), Ids{id(a)});
  EXPECT_EQ(room_names(), (Ids{id(a), id(clients[1])}));
}

TEST_F(LocalAdapterTest, ExceptingASocketsOwnRoomExcludesIt) {
  const auto clients = add_clients(3);
  for (const auto& client : clients) ASSERT_NE(client.socket, nullptr);
  const auto& a = clients[0];
  const auto& b = clients[1];
  const auto& c = clients[2];
  EXPECT_EQ(delivered("all but a", in_rooms({}, {id(a)}), clients), (Ids{id(b), id(c)}));
  EXPECT_EQ(delivered("b but b", in_rooms({id(b)}, {id(b)}), clients), Ids{});
  EXPECT_EQ(fetch(in_rooms({id(a), id(b)}, {id(c), id(a)})), Ids{id(b)});
}

// Another socket may join the room named after a socket's id: the room then has both.
TEST_F(LocalAdapterTest, ARoomNamedAfterASocketsIdHasItAndThoseWhoJoinedIt) {
  const auto clients = add_clients(3);
  for (const auto& client : clients) ASSERT_NE(client.socket, nullptr);
  const auto& a = clients[0];
  const auto& b = clients[1];
  adapter_.join(id(b), id(a));
  EXPECT_EQ(adapter_.members(id(a))->size(), 2u);
  EXPECT_EQ(members(id(a)), (Ids{id(a), id(b)}));
  EXPECT_EQ(delivered("to a's room", in_rooms({id(a)}), clients), (Ids{id(a), id(b)}));
  EXPECT_EQ(delivered("to both rooms", in_rooms({id(a), id(b)}), clients), (Ids{id(a), id(b)}));
  EXPECT_EQ(fetch(in_rooms({}, {id(a)})), Ids{id(clients[2])});
  EXPECT_EQ(adapter_.rooms_of(id(b)), (std::vector<std::string>{id(b), id(a)}));
  const auto names = adapter_.room_names();
  EXPECT_EQ(std::count(names.begin(), names.end(), id(a)), 1) << "listed once";

  adapter_.leave(id(a), id(a));
  EXPECT_EQ(members(id(a)), Ids{id(b)});
  adapter_.join(id(a), id(a));
  adapter_.remove_socket(id(a));
  EXPECT_EQ(members(id(a)), Ids{id(b)}) << "the room outlives the socket it is named after";
  EXPECT_EQ(room_names(), (Ids{id(a), id(b), id(clients[2])}));
  adapter_.leave(id(b), id(a));
  EXPECT_TRUE(members(id(a)).empty());
  EXPECT_EQ(room_names(), (Ids{id(b), id(clients[2])}));
}

// As Node's socket.rooms, a Set: the own room first, the others in the order joined, and a
// rejoined room (the own one too) after those joined before.
TEST_F(LocalAdapterTest, RoomsOfListsTheRoomsInTheOrderJoined) {
  const auto clients = add_clients(1);
  ASSERT_NE(clients[0].socket, nullptr);
  const auto& a = id(clients[0]);
  using Rooms = std::vector<std::string>;
  adapter_.join(a, "r");
  adapter_.join(a, "s");
  EXPECT_EQ(adapter_.rooms_of(a), (Rooms{a, "r", "s"}));
  adapter_.leave(a, a);
  EXPECT_EQ(adapter_.rooms_of(a), (Rooms{"r", "s"}));
  adapter_.join(a, a);
  adapter_.join(a, "t");
  EXPECT_EQ(adapter_.rooms_of(a), (Rooms{"r", "s", a, "t"}));
  adapter_.leave(a, "s");
  EXPECT_EQ(adapter_.rooms_of(a), (Rooms{"r", a, "t"}));
  adapter_.leave(a, "t");
  adapter_.leave(a, "r");
  EXPECT_EQ(adapter_.rooms_of(a), Rooms{a});
  adapter_.join(a, "u");
  EXPECT_EQ(adapter_.rooms_of(a), (Rooms{a, "u"}));
}

TEST_F(LocalAdapterTest, FetchSocketsTellsEachSocketsRooms) {
  const auto clients = add_clients(2);
  ASSERT_TRUE(clients[0].socket && clients[1].socket);
  const auto& a = id(clients[0]);
  const auto& b = id(clients[1]);
  adapter_.join(a, "r");
  adapter_.join(b, a);
  adapter_.leave(b, b);
  std::map<SocketId, std::vector<std::string>> rooms_by_id;
  adapter_.fetch_sockets(in_rooms({a}), [&](std::vector<socketio::SocketInfo> infos) {
    for (auto& info : infos) rooms_by_id[info.id] = std::move(info.rooms);
  });
  using Rooms = std::vector<std::string>;
  EXPECT_EQ(rooms_by_id, (std::map<SocketId, Rooms>{{a, Rooms{a, "r"}}, {b, Rooms{a}}}));
}

// a in r; b in r and s; c in s; d in no room.
class LocalAdapterSelectionTest : public LocalAdapterTest {
 protected:
  void SetUp() override {
    clients_ = add_clients(4);
    for (const auto& client : clients_) ASSERT_NE(client.socket, nullptr);
    adapter_.join(a(), "r");
    adapter_.join(b(), "r");
    adapter_.join(b(), "s");
    adapter_.join(c(), "s");
  }
  const SocketId& a() const { return id(clients_[0]); }
  const SocketId& b() const { return id(clients_[1]); }
  const SocketId& c() const { return id(clients_[2]); }
  const SocketId& d() const { return id(clients_[3]); }

  std::vector<ConnectedClient> clients_;
};

TEST_F(LocalAdapterSelectionTest, BroadcastDeliversToWhatFetchSocketIdsSelects) {
  const struct {
    const char* name;
    BroadcastOptions options;
    Ids expected;
  } cases[] = {
      {"everyone", {}, {a(), b(), c(), d()}},
      {"one room", in_rooms({"r"}), {a(), b()}},
      {"two rooms, b once", in_rooms({"r", "s"}), {a(), b(), c()}},
      {"a socket's own room", in_rooms({d()}), {d()}},
      {"everyone except s", in_rooms({}, {"s"}), {a(), d()}},
      {"r except s", in_rooms({"r"}, {"s"}), {a()}},
      {"r and s except a's room", in_rooms({"r", "s"}, {a()}), {b(), c()}},
      {"an unknown room", in_rooms({"nobody"}), {}},
  };
  for (const auto& [name, options, expected] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(fetch(options), expected);
    EXPECT_EQ(delivered(name, options, clients_), expected);
  }
}

TEST_F(LocalAdapterSelectionTest, AVolatileBroadcastSkipsClientsThatAreNotListening) {
  EXPECT_TRUE(received_now(clients_[0].sid).empty());  // a now has a poll waiting
  auto options = in_rooms({"r"});
  options.flags.is_volatile = true;
  adapter_.broadcast(socketio::make_event_packet("/", "tick", {}, {}), options);
  poll();
  EXPECT_EQ(received_now(clients_[0].sid), std::vector<std::string>{R"(42["tick"])"});
  EXPECT_TRUE(received_now(clients_[1].sid).empty());
}

TEST_F(LocalAdapterSelectionTest, ARemovedSocketLeavesEveryRoom) {
  adapter_.remove_socket(b());
  EXPECT_TRUE(adapter_.rooms_of(b()).empty());
  EXPECT_EQ(members("r"), Ids{a()});
  EXPECT_EQ(members("s"), Ids{c()});
  EXPECT_TRUE(members(b()).empty());
  EXPECT_EQ(fetch({}), (Ids{a(), c(), d()}));
  EXPECT_EQ(delivered("after", in_rooms({"r", "s"}), clients_), (Ids{a(), c()}));

  adapter_.join(b(), "r");  // a removed socket is unknown: joining does nothing
  EXPECT_EQ(members("r"), Ids{a()});
}

// Threads that join, leave, broadcast and ask at once, each on rooms of its own (so that what
// it must see stays certain) but on the same sockets, plus one that broadcasts to everyone and
// one that adds and removes other sockets. Run it under ThreadSanitizer too (make tsan).
TEST_F(LocalAdapterTest, ConcurrentJoinLeaveAndBroadcastStayConsistent) {
  constexpr std::size_t kSockets = 8;
  constexpr int kRoomThreads = 4;
  constexpr std::size_t kIterations = 1600;  // a multiple of kSockets: each is picked as often
  constexpr int kEveryoneBroadcasts = 1000;
  constexpr int kChurnRounds = 200;
  const auto clients = add_clients(kSockets);
  const auto churned = add_clients(2);
  for (const auto& client : churned) adapter_.remove_socket(id(client));
  for (const auto& client : clients) ASSERT_NE(client.socket, nullptr);
  for (const auto& client : churned) ASSERT_NE(client.socket, nullptr);

  std::atomic<int> wrong_selections{0};
  auto room_thread = [&](int t) {
    const std::string room_a = "t" + std::to_string(t) + "a";
    const std::string room_b = "t" + std::to_string(t) + "b";
    for (std::size_t i = 0; i < kIterations; ++i) {
      const auto& first = id(clients[(i + t) % kSockets]);
      const auto& second = id(clients[(i + t + 1) % kSockets]);
      adapter_.join(first, room_a);
      adapter_.join(second, room_b);
      adapter_.broadcast(socketio::make_event_packet("/", "t" + std::to_string(t), {}, {}),
                         in_rooms({room_a, room_b}));
      adapter_.fetch_socket_ids(in_rooms({room_a, room_b}), [&](std::vector<SocketId> ids) {
        if (Ids(ids.begin(), ids.end()) != Ids{first, second}) ++wrong_selections;
      });
      const auto rooms = adapter_.rooms_of(first);
      if (std::find(rooms.begin(), rooms.end(), room_a) == rooms.end()) ++wrong_selections;
      adapter_.leave(first, room_a);
      adapter_.leave(second, room_b);
    }
  };
  auto everyone_thread = [&] {
    for (int i = 0; i < kEveryoneBroadcasts; ++i) {
      adapter_.broadcast(socketio::make_event_packet("/", "all", {}, {}), {});
      if (i % 10 == 0) adapter_.room_names();  // reads every socket's own-room flag
    }
  };
  auto churn_thread = [&] {
    for (int round = 0; round < kChurnRounds; ++round) {
      for (const auto& client : churned) {
        adapter_.add_socket(client.socket);
        adapter_.join(id(client), "churn");
        adapter_.leave(id(client), id(client));
        adapter_.join(id(client), id(client));
      }
      for (const auto& client : churned) adapter_.remove_socket(id(client));
    }
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kRoomThreads; ++t) threads.emplace_back(room_thread, t);
  threads.emplace_back(everyone_thread);
  threads.emplace_back(churn_thread);
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(wrong_selections, 0);
  EXPECT_EQ(fetch({}).size(), kSockets) << "the churned sockets are gone again";
  EXPECT_TRUE(members("churn").empty());
  for (const auto& client : churned) EXPECT_TRUE(adapter_.rooms_of(id(client)).empty());
  poll();  // the deliveries, posted to each session's strand
  for (const auto& client : clients) {
    SCOPED_TRACE(id(client));
    EXPECT_EQ(rooms_of(client), Ids{id(client)}) << "every room thread left what it joined";
    const auto received = received_now(client.sid);
    auto count = [&](const std::string& packet) {
      return static_cast<std::size_t>(std::count(received.begin(), received.end(), packet));
    };
    // Per room thread, each socket was `first` and `second` once per kSockets iterations.
    for (int t = 0; t < kRoomThreads; ++t) {
      EXPECT_EQ(count(R"(42["t)" + std::to_string(t) + R"("])"), 2 * kIterations / kSockets);
    }
    EXPECT_EQ(count(R"(42["all"])"), std::size_t{kEveryoneBroadcasts});
  }
}

}  // namespace
