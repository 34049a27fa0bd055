#pragma once
// User administration: the one implementation of its rules, used by the CLI (`reportd user`, the
// demo data) and by admins over REST. Blocking (it calls the store and hashes passwords): call
// it from the worker pool.
//
// The rules: a role is one of citizen, operator, admin; a citizen is never internal and an
// admin always is (admins are municipal staff); a password has 8 to 1024 bytes. Over REST only
// an active internal admin may administer, and never their own role, internal flag or active
// flag, so the admin acting always remains one. Changes of role, internal and active reach live
// connections through the store's user-change feed (live::AccessWatch), as changes made with
// the CLI or in the database do.

#include <cstdint>
#include <optional>
#include <string>

#include "service/errors.hpp"
#include "store/store.hpp"

namespace service {

struct NewAccount {
  std::string username;
  std::string password;
  std::string role;
  bool internal = false;
};

// What to change on a user: each field that is set.
struct AccountChanges {
  std::optional<std::string> role;
  std::optional<bool> internal;
  std::optional<bool> active;
  std::optional<std::string> password;  // a new password (a reset)
};

class UserAdmin {
 public:
  explicit UserAdmin(store::Store& store) : store_(store) {}

  // The CLI's: the operator at the server's shell may do anything the rules allow.
  store::User add_user(const NewAccount& account);
  // Throws Error(not_found) when there is no such user.
  store::User change_user(const std::string& username, const AccountChanges& changes);

  // An admin's, over REST: Error(forbidden) unless `admin` is an active internal admin.
  store::Page<store::User> list_users(const store::User& admin, std::optional<std::int64_t> after,
                                      int limit);
  store::User add_user(const store::User& admin, const NewAccount& account);
  // Also Error(conflict, "own_access") when the admin would change their own role, internal
  // flag or active flag.
  store::User change_user(const store::User& admin, std::int64_t id, const AccountChanges& changes);

 private:
  store::User change(const store::User& current, const AccountChanges& changes);

  store::Store& store_;
};

// The roles a user can have: citizen, operator, admin.
bool is_valid_role(std::string_view role);

// Longer usernames are refused at creation and at login, before any other work.
inline constexpr std::size_t kMaxUsernameBytes = 64;

}  // namespace service
