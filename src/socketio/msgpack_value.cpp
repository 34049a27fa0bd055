#include "socketio/msgpack_value.hpp"

#include <fmt/format.h>
#include <msgpuck.h>

#include <chrono>
#include <cmath>
#include <cstring>

#include "base/utf8.hpp"
#include "socketio/packet.hpp"

namespace socketio::msgpack {

namespace json = boost::json;

namespace {

constexpr std::int8_t kTimestampExt = -1;

std::uint64_t read_big_endian(const char* p, std::size_t n) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

// A msgpack timestamp (4, 8 or 12 bytes) as Date.prototype.toISOString writes it.
std::optional<std::string> timestamp_to_iso(const char* p, std::size_t n) {
  std::int64_t secs = 0;
  std::uint32_t nanos = 0;
  if (n == 4) {
    secs = static_cast<std::int64_t>(read_big_endian(p, 4));
  } else if (n == 8) {
    const auto both = read_big_endian(p, 8);
    nanos = static_cast<std::uint32_t>(both >> 34);
    secs = static_cast<std::int64_t>(both & 0x3ffffffffULL);
  } else if (n == 12) {
    nanos = static_cast<std::uint32_t>(read_big_endian(p, 4));
    secs = static_cast<std::int64_t>(read_big_endian(p + 4, 8));
  } else {
    return std::nullopt;
  }
  // Years 0 to 9999, the range toISOString writes without a sign.
  constexpr std::int64_t kMin = -62167219200, kMax = 253402300799;
  if (nanos > 999'999'999 || secs < kMin || secs > kMax) return std::nullopt;
  namespace chrono = std::chrono;
  const chrono::sys_seconds time{chrono::seconds{secs}};
  const auto day = chrono::floor<chrono::days>(time);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss clock{time - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", int(date.year()),
                     unsigned(date.month()), unsigned(date.day()), clock.hours().count(),
                     clock.minutes().count(), clock.seconds().count(), nanos / 1'000'000);
}

// Every read is checked against the end of the input here: msgpuck's mp_check cannot be trusted
// with it (its element counter is an int that a 32-bit array or map count overflows), so only
// its per-type header checks (mp_check_*: bytes missing, > 0 when short) are used.
class Decoder {
 public:
  Decoder(const char* data, const char* end) : cursor_(data), end_(end) {}

  bool at_end() const { return cursor_ == end_; }

  std::optional<json::value> value(std::size_t depth) {
    if (depth > kMaxDepth || cursor_ == end_ || values_left_ == 0) return std::nullopt;
    --values_left_;
    switch (mp_typeof(*cursor_)) {
      case MP_NIL:
        if (mp_check_nil(cursor_, end_) > 0) return std::nullopt;
        mp_decode_nil(&cursor_);
        return json::value(nullptr);
      case MP_BOOL:
        if (mp_check_bool(cursor_, end_) > 0) return std::nullopt;
        return json::value(mp_decode_bool(&cursor_));
      case MP_UINT:
        if (mp_check_uint(cursor_, end_) > 0) return std::nullopt;
        return json::value(mp_decode_uint(&cursor_));
      case MP_INT:
        if (mp_check_int(cursor_, end_) > 0) return std::nullopt;
        return json::value(mp_decode_int(&cursor_));
      case MP_FLOAT:
        if (mp_check_float(cursor_, end_) > 0) return std::nullopt;
        return json::value(static_cast<double>(mp_decode_float(&cursor_)));
      case MP_DOUBLE:
        if (mp_check_double(cursor_, end_) > 0) return std::nullopt;
        return json::value(mp_decode_double(&cursor_));
      case MP_STR: {
        auto text = string();
        if (!text) return std::nullopt;
        return json::value(json::string_view(text->data(), text->size()));
      }
      case MP_BIN: {
        if (mp_check_binl(cursor_, end_) > 0) return std::nullopt;
        const auto length = mp_decode_binl(&cursor_);
        if (length > left()) return std::nullopt;
        attachments_.emplace_back(cursor_, length);
        cursor_ += length;
        return binary_placeholder(attachments_.size() - 1);
      }
      case MP_ARRAY: {
        if (mp_check_array(cursor_, end_) > 0) return std::nullopt;
        const auto size = mp_decode_array(&cursor_);
        if (size > left()) return std::nullopt;  // each element takes a byte at least
        json::array array;
        array.reserve(size);
        for (std::uint32_t i = 0; i < size; ++i) {
          auto item = value(depth + 1);
          if (!item) return std::nullopt;
          array.push_back(std::move(*item));
        }
        return json::value(std::move(array));
      }
      case MP_MAP: {
        if (mp_check_map(cursor_, end_) > 0) return std::nullopt;
        const auto size = mp_decode_map(&cursor_);
        if (size > left() / 2) return std::nullopt;
        json::object object;
        for (std::uint32_t i = 0; i < size; ++i) {
          if (cursor_ == end_ || mp_typeof(*cursor_) != MP_STR) return std::nullopt;
          auto key = string();
          if (!key) return std::nullopt;
          auto item = value(depth + 1);
          if (!item) return std::nullopt;
          // A JavaScript object cannot hold a key twice, so no node sends one; a repeated key
          // would also orphan an attachment read for the value it replaces.
          if (!object.emplace(*key, std::move(*item)).second) return std::nullopt;
        }
        json::value map(std::move(object));
        // Binary data travels as bin: a map that looks like a placeholder would be read as one.
        if (placeholder_index(map)) return std::nullopt;
        return map;
      }
      case MP_EXT:
        return extension();
    }
    return std::nullopt;
  }

  std::vector<std::string> take_attachments() { return std::move(attachments_); }

 private:
  std::size_t left() const { return static_cast<std::size_t>(end_ - cursor_); }

  std::size_t values_left_ = kMaxValues;

  // A UTF-8 string value.
  std::optional<std::string_view> string() {
    if (mp_check_strl(cursor_, end_) > 0) return std::nullopt;
    const auto length = mp_decode_strl(&cursor_);
    if (length > left()) return std::nullopt;
    const std::string_view text(cursor_, length);
    cursor_ += length;
    if (!base::is_valid_utf8(text)) return std::nullopt;
    return text;
  }

  // fixext 1-16 (0xd4-0xd8) or ext 8/16/32 (0xc7-0xc9); this msgpuck has no decoder for them.
  std::optional<json::value> extension() {
    const auto head = static_cast<unsigned char>(*cursor_++);
    std::size_t length = 0;
    if (head >= 0xd4 && head <= 0xd8) {
      length = std::size_t{1} << (head - 0xd4);
    } else if (head >= 0xc7 && head <= 0xc9) {
      const std::size_t width = std::size_t{1} << (head - 0xc7);
      if (width > left()) return std::nullopt;
      length = read_big_endian(cursor_, width);
      cursor_ += width;
    } else {
      return std::nullopt;  // 0xc1, never used
    }
    if (left() < 1 || length > left() - 1) return std::nullopt;
    const auto type = static_cast<std::int8_t>(*cursor_++);
    const char* body = cursor_;
    cursor_ += length;
    if (type != kTimestampExt) return std::nullopt;
    auto iso = timestamp_to_iso(body, length);
    if (!iso) return std::nullopt;
    return json::value(*iso);
  }

  const char* cursor_;
  const char* end_;
  std::vector<std::string> attachments_;
};

template <class Encode, class... Args>
void append(std::string& out, Encode encode, Args... args) {
  char buffer[16];
  const char* end = encode(buffer, args...);
  out.append(buffer, static_cast<std::size_t>(end - buffer));
}

void encode_value(const json::value& value, const std::vector<std::string>& attachments,
                  std::string& out) {
  switch (value.kind()) {
    case json::kind::null:
      return append(out, mp_encode_nil);
    case json::kind::bool_:
      return append(out, mp_encode_bool, value.get_bool());
    case json::kind::int64: {
      const auto number = value.get_int64();
      if (number >= 0) return append(out, mp_encode_uint, static_cast<std::uint64_t>(number));
      return append(out, mp_encode_int, number);
    }
    case json::kind::uint64:
      return append(out, mp_encode_uint, value.get_uint64());
    case json::kind::double_: {
      const double number = value.get_double();
      // JavaScript has one number type: notepack writes integral values as integers.
      if (std::isfinite(number) && std::floor(number) == number && std::fabs(number) < 0x1p63) {
        if (number >= 0) return append(out, mp_encode_uint, static_cast<std::uint64_t>(number));
        return append(out, mp_encode_int, static_cast<std::int64_t>(number));
      }
      return append(out, mp_encode_double, number);
    }
    case json::kind::string: {
      const auto& text = value.get_string();
      append(out, mp_encode_strl, static_cast<std::uint32_t>(text.size()));
      out.append(text.data(), text.size());
      return;
    }
    case json::kind::array: {
      const auto& array = value.get_array();
      append(out, mp_encode_array, static_cast<std::uint32_t>(array.size()));
      for (const auto& item : array) encode_value(item, attachments, out);
      return;
    }
    case json::kind::object: {
      if (const auto index = placeholder_index(value); index && *index < attachments.size()) {
        const auto& bytes = attachments[*index];
        append(out, mp_encode_binl, static_cast<std::uint32_t>(bytes.size()));
        out += bytes;
        return;
      }
      const auto& object = value.get_object();
      append(out, mp_encode_map, static_cast<std::uint32_t>(object.size()));
      for (const auto& [key, item] : object) {
        append(out, mp_encode_strl, static_cast<std::uint32_t>(key.size()));
        out.append(key.data(), key.size());
        encode_value(item, attachments, out);
      }
      return;
    }
  }
}

}  // namespace

std::optional<Value> decode(std::string_view bytes) {
  Decoder decoder(bytes.data(), bytes.data() + bytes.size());
  auto json = decoder.value(0);
  if (!json || !decoder.at_end()) return std::nullopt;
  return Value{std::move(*json), decoder.take_attachments()};
}

void encode(const json::value& json, const std::vector<std::string>& attachments,
            std::string& out) {
  encode_value(json, attachments, out);
}

}  // namespace socketio::msgpack
