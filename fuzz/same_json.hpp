#pragma once
// Structural equality of two JSON values for the round-trip checks of the fuzz targets: arrays
// and objects compared element by element, numbers by the target's own rule (codecs differ in
// how numbers may come back), everything else exactly.

#include <boost/json/value.hpp>

template <class SameNumber>
bool same_json(const boost::json::value& a, const boost::json::value& b, SameNumber same_number) {
  if (a.is_number() && b.is_number()) return same_number(a, b);
  if (a.is_array() && b.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_json(x[i], y[i], same_number)) return false;
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const auto* other = y.if_contains(key);
      if (!other || !same_json(value, *other, same_number)) return false;
    }
    return true;
  }
  return a == b;
}
