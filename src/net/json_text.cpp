#include "net/json_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace net {
namespace {

// ECMAScript's Number::toString (§6.1.6.1.20): `digits` are the shortest decimal digits of the
// number (no leading or trailing zeros) and the number is 0.digits × 10^point.
void append_javascript_notation(std::string& out, const std::string& digits, int point) {
  const int count = static_cast<int>(digits.size());
  if (count <= point && point <= 21) {  // an integer: 42, 1e+21 is where exponents start
    out += digits;
    out.append(point - count, '0');
  } else if (0 < point && point <= 21) {  // 41.9028
    out.append(digits, 0, point);
    out += '.';
    out.append(digits, point);
  } else if (-6 < point && point <= 0) {  // 0.000001
    out += "0.";
    out.append(-point, '0');
    out += digits;
  } else {  // 1e-7, 1.5e+300
    out += digits.front();
    if (count > 1) {
      out += '.';
      out.append(digits, 1);
    }
    const int exponent = point - 1;
    out += exponent < 0 ? "e-" : "e+";
    out += std::to_string(std::abs(exponent));
  }
}

void append_number(std::string& out, double number) {
  if (!std::isfinite(number)) {
    out += "null";
    return;
  }
  if (number == 0) {  // -0 too, as JSON.stringify writes it
    out += '0';
    return;
  }
  // The shortest round-trip digits, as d.ddde±x (C++17 to_chars).
  char buffer[32];
  const auto end =
      std::to_chars(buffer, buffer + sizeof buffer, number, std::chars_format::scientific).ptr;
  const char* p = buffer;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  std::string digits;
  for (; *p != 'e'; ++p) {
    if (*p != '.') digits += *p;
  }
  ++p;  // 'e'
  const bool negative_exponent = *p == '-';
  int exponent = 0;
  std::from_chars(p + 1, end, exponent);
  append_javascript_notation(out, digits, (negative_exponent ? -exponent : exponent) + 1);
}

void append(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      append_number(out, value.get_double());
      return;
    case boost::json::kind::array: {
      out += '[';
      const char* separator = "";
      for (const auto& element : value.get_array()) {
        out += separator;
        append(out, element);
        separator = ",";
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      const char* separator = "";
      for (const auto& member : value.get_object()) {
        out += separator;
        out += boost::json::serialize(member.key());
        out += ':';
        append(out, member.value());
        separator = ",";
      }
      out += '}';
      return;
    }
    default:  // strings, integers, booleans and null are written as Boost.JSON writes them
      out += boost::json::serialize(value);
  }
}

}  // namespace

std::string json_text(const boost::json::value& value) {
  std::string out;
  append(out, value);
  return out;
}

std::string json_number(double number) {
  std::string out;
  append_number(out, number);
  return out;
}

}  // namespace net
