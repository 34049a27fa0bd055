#include <gtest/gtest.h>

#include "service/store_call.hpp"

using service::Error;
using store::StoreError;

TEST(StoreCall, PassesResultsThrough) {
  EXPECT_EQ(service::store_call([] { return 42; }), 42);
  int calls = 0;
  service::store_call([&] { ++calls; });
  EXPECT_EQ(calls, 1);
}

TEST(StoreCall, AStoreThatCannotAnswerIsTheServicesUnavailable) {
  for (auto kind : {StoreError::Kind::unavailable, StoreError::Kind::conflict}) {
    try {
      service::store_call([&]() -> int { throw StoreError(kind, "disk I/O error"); });
      FAIL() << "no exception";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), Error::Kind::unavailable);
      EXPECT_EQ(e.code(), "unavailable");
      EXPECT_STREQ(e.what(), "storage unavailable");  // the cause is logged, never sent
      ASSERT_TRUE(e.retry_after);
      EXPECT_EQ(*e.retry_after, std::chrono::seconds(1));
    }
  }
}

TEST(StoreCall, LeavesOtherExceptionsAlone) {
  EXPECT_THROW(service::store_call([]() -> int { throw std::logic_error("bug"); }),
               std::logic_error);
  EXPECT_THROW(service::store_call([]() -> int { throw Error(Error::Kind::not_found, "x", "y"); }),
               Error);
}
