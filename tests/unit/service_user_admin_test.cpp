// service::UserAdmin's rules on a real (in-memory SQLite) store: who may administer, the rules
// every user obeys, and that no admin can lock themselves out.

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "auth/password.hpp"
#include "service/user_admin.hpp"

namespace {

using service::AccountChanges;
using service::Error;

// The code of the service::Error that `f` throws ("" if none).
std::string code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return "";
}

AccountChanges set_active(bool active) {
  AccountChanges changes;
  changes.active = active;
  return changes;
}

AccountChanges set_role(std::string role, std::optional<bool> internal = std::nullopt) {
  AccountChanges changes;
  changes.role = std::move(role);
  changes.internal = internal;
  return changes;
}

class UserAdminTest : public ::testing::Test {
 protected:
  std::unique_ptr<store::Store> store_ = store::open_store("sqlite::memory:");
  service::UserAdmin admin_{*store_};
  store::User boss_ = admin_.add_user({"boss", "boss-password", "admin", true});
};

TEST_F(UserAdminTest, RefusesRolesAndFlagsOutsideTheRules) {
  EXPECT_EQ(code_of([&] { admin_.add_user({"a", "long-enough", "root", false}); }), "invalid_role");
  EXPECT_EQ(code_of([&] {
              admin_.add_user({"b", "long-enough", "citizen", true});
            }),
            "invalid_role");
  EXPECT_EQ(code_of([&] {
              admin_.add_user({"c", "long-enough", "admin", false});
            }),
            "invalid_role");
  EXPECT_EQ(code_of([&] { admin_.add_user({"d", "short", "operator", true}); }), "weak_password");
  EXPECT_EQ(code_of([&] {
              admin_.add_user({"boss", "long-enough", "operator", true});
            }),
            "username_taken");
  EXPECT_EQ(store_->count_users(), 1);
  // A change is checked on the user as it will be.
  auto op = admin_.add_user({"op", "long-enough", "operator", true});
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, op.id, set_role("citizen")); }),
            "invalid_role");
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, op.id, set_role("admin", false)); }),
            "invalid_role");
  EXPECT_EQ(admin_.change_user(boss_, op.id, set_role("citizen", false)).role, "citizen");
}

TEST_F(UserAdminTest, OnlyActiveInternalAdminsAdminister) {
  auto op = admin_.add_user({"op", "long-enough", "operator", true});
  EXPECT_EQ(code_of([&] { admin_.list_users(op, std::nullopt, 10); }), "forbidden");
  EXPECT_EQ(code_of([&] { admin_.change_user(op, op.id, set_role("admin")); }), "forbidden");
  // An admin row that breaks today's rule (made behind reportd's back) has no admin rights.
  auto outsider = boss_;
  outsider.internal = false;
  EXPECT_EQ(code_of([&] { admin_.list_users(outsider, std::nullopt, 10); }), "forbidden");
  auto inactive = boss_;
  inactive.active = false;
  EXPECT_EQ(code_of([&] {
              admin_.add_user(inactive, {"e", "long-enough", "citizen", false});
            }),
            "forbidden");
  EXPECT_EQ(admin_.list_users(boss_, std::nullopt, 10).items.size(), 2u);
}

TEST_F(UserAdminTest, AnAdminCannotChangeTheirOwnAccess) {
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, boss_.id, set_active(false)); }), "own_access");
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, boss_.id, set_role("operator")); }),
            "own_access");
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, boss_.id, set_role("admin", false)); }),
            "own_access");
  EXPECT_TRUE(store_->find_user(boss_.id)->active);
  // Their own password, and the values they have, are no change of access.
  AccountChanges password;
  password.password = "a-new-password";
  auto same = admin_.change_user(boss_, boss_.id, password);
  EXPECT_TRUE(auth::verify_password("a-new-password", same.password_hash));
  EXPECT_EQ(admin_.change_user(boss_, boss_.id, set_role("admin", true)).role, "admin");
  // The CLI, at the server's shell, may.
  EXPECT_FALSE(admin_.change_user("boss", set_active(false)).active);
  EXPECT_EQ(code_of([&] { admin_.change_user("nobody", set_active(false)); }), "user_not_found");
  EXPECT_EQ(code_of([&] { admin_.change_user(boss_, 999, set_active(false)); }), "user_not_found");
}

}  // namespace
