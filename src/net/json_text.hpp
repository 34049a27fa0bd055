#pragma once
// JSON text as JavaScript's JSON.stringify writes it, which is what the clients of a JSON API
// compare with: a number is written in the shortest form that reads back to the same double and
// in JavaScript's notation (41.9028, 42, -0.5, 1e-7, 1e+21), where Boost.JSON would write
// 4.19028E1. Non-finite numbers, which JSON cannot hold, are written as null, as JavaScript does.

#include <boost/json/fwd.hpp>
#include <string>

namespace net {

std::string json_text(const boost::json::value& value);

// One number as JavaScript's Number.prototype.toString writes it (NaN and infinities: "null").
std::string json_number(double number);

}  // namespace net
