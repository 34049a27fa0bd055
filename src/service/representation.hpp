#pragma once
// How domain objects look as JSON, shared by the REST API and the live channel so that the
// comment.created payload is, byte for byte, the body of the 201 that created the comment.

#include <boost/json/object.hpp>
#include <string>

#include "store/store.hpp"

namespace service {

enum class TimeStyle {
  utc,   // 2026-03-29T00:59:59.123Z, the instant as stored
  rome,  // 2026-03-29T01:59:59.123+01:00, Europe/Rome local time with its offset
};

std::string format_time(store::Timestamp time, TimeStyle style);

boost::json::object comment_json(const store::Comment& comment, TimeStyle style);
boost::json::object report_json(const store::Report& report, TimeStyle style);
boost::json::object user_json(const store::User& user);
// A user as an admin sees them: user_json with active and created_at (never the password hash).
boost::json::object account_json(const store::User& user, TimeStyle style);

}  // namespace service
