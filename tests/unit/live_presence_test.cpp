// live::Presence on one node: the viewers list comes from its own tally of the sockets that
// follow a report (users once each, by id), the room hears report.viewers once per debounce
// interval when a user came or went, and that interval grows with the room.

#include <gtest/gtest.h>

#include <boost/asio/thread_pool.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <future>
#include <string>

#include "live/comment_broadcaster.hpp"
#include "live/presence.hpp"
#include "socketio_harness.hpp"

namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

live::Viewer user(std::int64_t id, std::string name) {
  return {id, std::move(name)};
}

class PresenceTest : public harness::SocketIoHarness {
 protected:
  std::string viewers_of(live::Presence& presence, std::int64_t report_id) {
    std::promise<std::string> answer;
    presence.viewers(report_id,
                     [&](json::array viewers) { answer.set_value(json::serialize(viewers)); });
    return answer.get_future().get();
  }

  boost::asio::thread_pool workers_{1};
};

TEST_F(PresenceTest, ViewersAreEachFollowingUserOnceByIdUntilTheirLastSocketLeaves) {
  auto& nsp = serve("/ws/internal");
  live::Presence presence(nsp, workers_, {});
  const auto anna = user(7, "anna"), bruno = user(3, "bruno");
  EXPECT_EQ(viewers_of(presence, 1), "[]");

  presence.follow(1, anna, true);
  presence.follow(1, anna, true);  // her second tab
  presence.follow(1, bruno, true);
  presence.follow(2, bruno, true);
  EXPECT_EQ(viewers_of(presence, 1), R"([{"id":3,"username":"bruno"},{"id":7,"username":"anna"}])");
  EXPECT_EQ(viewers_of(presence, 2), R"([{"id":3,"username":"bruno"}])");

  presence.follow(1, anna, false);
  EXPECT_EQ(viewers_of(presence, 1), R"([{"id":3,"username":"bruno"},{"id":7,"username":"anna"}])");
  presence.follow(1, anna, false);
  presence.follow(1, bruno, false);
  EXPECT_EQ(viewers_of(presence, 1), "[]");
  EXPECT_EQ(viewers_of(presence, 2), R"([{"id":3,"username":"bruno"}])");
  presence.stop();
}

TEST_F(PresenceTest, TheRoomHearsOneAnnouncementPerIntervalWithTheLatestList) {
  auto& nsp = serve("/ws/internal");
  live::Presence presence(nsp, workers_, {.debounce = 50ms});
  auto client = connect_client("/ws/internal");
  client.socket->join(live::report_room(1));
  for (int i = 1; i <= 5; ++i) presence.follow(1, user(i, "user" + std::to_string(i)), true);

  const auto packets = receive(client.sid);
  ASSERT_EQ(packets.size(), 1u) << "one announcement for five joins";
  EXPECT_EQ(packets[0].rfind(R"(42/ws/internal,["report.viewers",{"reportId":1,"viewers":[)", 0),
            0u)
      << packets[0];
  EXPECT_NE(packets[0].find(R"({"id":5,"username":"user5"})"), std::string::npos) << packets[0];
  presence.stop();
}

TEST_F(PresenceTest, AUsersOtherSocketsComingAndGoingAnnounceNothing) {
  auto& nsp = serve("/ws/internal");
  live::Presence presence(nsp, workers_, {.debounce = 50ms});
  auto client = connect_client("/ws/internal");
  client.socket->join(live::report_room(1));
  const auto anna = user(7, "anna");
  presence.follow(1, anna, true);
  ASSERT_EQ(receive(client.sid).size(), 1u) << "anna's first socket joined";

  presence.follow(1, anna, true);   // her second tab
  presence.follow(1, anna, false);  // and it closes
  run_for(200ms);                   // four debounce intervals
  EXPECT_EQ(received_now(client.sid), std::vector<std::string>{}) << "the list never changed";

  presence.follow(1, anna, false);
  auto packets = receive(client.sid);
  ASSERT_EQ(packets.size(), 1u) << "anna's last socket left";
  EXPECT_NE(packets[0].find(R"("viewers":[])"), std::string::npos) << packets[0];

  presence.follow(1, user(3, "bruno"), true);
  packets = receive(client.sid);
  ASSERT_EQ(packets.size(), 1u) << "bruno joined";
  EXPECT_NE(packets[0].find(R"("viewers":[{"id":3,"username":"bruno"}])"), std::string::npos)
      << packets[0];
  presence.stop();
}

TEST(PresenceInterval, GrowsWithTheRoomBetweenTheDebounceAndTheLongest) {
  const live::Presence::Options options;  // the defaults: 250 ms, 1 ms a socket, at most 10 s
  EXPECT_EQ(live::Presence::debounce_interval(0, options), 250ms);
  EXPECT_EQ(live::Presence::debounce_interval(250, options), 250ms);
  EXPECT_EQ(live::Presence::debounce_interval(1'000, options), 1s);
  EXPECT_EQ(live::Presence::debounce_interval(5'000, options), 5s);
  EXPECT_EQ(live::Presence::debounce_interval(10'000, options), 10s);
  EXPECT_EQ(live::Presence::debounce_interval(19'000, options), 10s);
  // A longest below the debounce never shortens it.
  EXPECT_EQ(live::Presence::debounce_interval(19'000, {.debounce = 250ms, .longest = 100ms}),
            250ms);
}

}  // namespace
