#include "service/user_admin.hpp"

#include <algorithm>
#include <array>

#include "auth/password.hpp"
#include "net/log.hpp"
#include "service/clock.hpp"
#include "service/store_call.hpp"
#include "service/text_rules.hpp"

namespace service {
namespace {

using Kind = Error::Kind;

constexpr std::array kRoles = {"citizen", "operator", "admin"};
constexpr std::size_t kMinPasswordBytes = 8;
// Hashing cost grows with the password: bounded well below the REST body limit.
constexpr std::size_t kMaxPasswordBytes = 1024;

Error bad_request(std::string code, const std::string& message) {
  return Error(Kind::bad_request, std::move(code), message);
}

void require_password(const std::string& password) {
  if (password.size() < kMinPasswordBytes) {
    throw bad_request("weak_password", "password must have at least 8 characters");
  }
  if (password.size() > kMaxPasswordBytes) {
    throw bad_request("password_too_long", "password must have at most 1024 bytes");
  }
}

// The rules every user obeys, whoever creates or changes them.
void require_valid_access(const std::string& role, bool internal) {
  if (!is_valid_role(role)) {
    throw bad_request("invalid_role", "role must be one of citizen, operator, admin");
  }
  if (role == "citizen" && internal) {
    throw bad_request("invalid_role", "a citizen is never internal");
  }
  if (role == "admin" && !internal) {
    throw bad_request("invalid_role", "an admin is always internal");
  }
}

void require_admin(const store::User& user) {
  if (user.role != "admin" || !user.internal || !user.active) {
    throw Error(Kind::forbidden, "forbidden", "admins only");
  }
}

// An admin never changes their own access: the one acting stays an admin, so there always is
// one.
void refuse_own_access_change(const store::User& admin, const AccountChanges& changes) {
  const bool changes_access = (changes.role && *changes.role != admin.role) ||
                              (changes.internal && *changes.internal != admin.internal) ||
                              (changes.active && *changes.active != admin.active);
  if (changes_access) {
    throw Error(Kind::conflict, "own_access",
                "admins cannot change their own role, internal flag or active flag");
  }
}

Error not_found() {
  return Error(Kind::not_found, "user_not_found", "no such user");
}

}  // namespace

bool is_valid_role(std::string_view role) {
  return std::find(kRoles.begin(), kRoles.end(), role) != kRoles.end();
}

store::User UserAdmin::add_user(const NewAccount& account) {
  require_text("username", account.username, kMaxUsernameBytes, TextKind::line);
  require_password(account.password);
  require_valid_access(account.role, account.internal);
  try {
    auto user = store_.create_user(
        {account.username, auth::hash_password(account.password), account.role, account.internal},
        service_now());
    net::log_event(net::LogLevel::info, "user_created",
                   {{"user_id", std::to_string(user.id)},
                    {"role", user.role},
                    {"internal", user.internal ? "true" : "false"}});
    return user;
  } catch (const store::StoreError& e) {
    if (e.kind() == store::StoreError::Kind::conflict) {
      throw Error(Kind::conflict, "username_taken", "username already exists");
    }
    throw store_unavailable(e);
  }
}

store::User UserAdmin::change_user(const std::string& username, const AccountChanges& changes) {
  auto user = store_call([&] { return store_.find_user_by_name(username); });
  if (!user) throw not_found();
  return change(*user, changes);
}

store::Page<store::User> UserAdmin::list_users(const store::User& admin,
                                               std::optional<std::int64_t> after, int limit) {
  require_admin(admin);
  return store_call([&] { return store_.list_users(after, limit); });
}

store::User UserAdmin::add_user(const store::User& admin, const NewAccount& account) {
  require_admin(admin);
  return add_user(account);
}

store::User UserAdmin::change_user(const store::User& admin, std::int64_t id,
                                   const AccountChanges& changes) {
  require_admin(admin);
  if (id == admin.id) refuse_own_access_change(admin, changes);
  auto user = store_call([&] { return store_.find_user(id); });
  if (!user) throw not_found();
  return change(*user, changes);
}

// The rules are checked on the user as it will be; the store's CHECK constraint guards the
// citizen rule against a concurrent change.
store::User UserAdmin::change(const store::User& current, const AccountChanges& changes) {
  require_valid_access(changes.role.value_or(current.role),
                       changes.internal.value_or(current.internal));
  store::UserUpdate update;
  update.role = changes.role;
  update.internal = changes.internal;
  update.active = changes.active;
  if (changes.password) {
    require_password(*changes.password);
    update.password_hash = auth::hash_password(*changes.password);
  }
  std::optional<store::User> changed;
  try {
    changed = store_.update_user(current.id, update);
  } catch (const store::StoreError& e) {
    if (e.kind() == store::StoreError::Kind::conflict) {
      throw Error(Kind::conflict, "concurrent_change", "the user changed meanwhile; try again");
    }
    throw store_unavailable(e);
  }
  if (!changed) throw not_found();
  net::log_event(net::LogLevel::info, "user_changed",
                 {{"user_id", std::to_string(changed->id)},
                  {"role", changed->role},
                  {"internal", changed->internal ? "true" : "false"},
                  {"active", changed->active ? "true" : "false"},
                  {"password_reset", changes.password ? "true" : "false"}});
  return std::move(*changed);
}

}  // namespace service
