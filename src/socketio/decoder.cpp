#include "socketio/decoder.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <charconv>
#include <cmath>

namespace socketio {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Whether the JSON payload fits the packet type, as the reference implementation requires.
bool payload_fits(PacketType type, const Packet& packet) {
  const auto& data = packet.data;
  switch (type) {
    case PacketType::connect:
      return !packet.has_data || data.is_object();
    case PacketType::disconnect:
      return !packet.has_data;
    case PacketType::connect_error:
      return packet.has_data && (data.is_object() || data.is_string());
    case PacketType::event:
    case PacketType::binary_event: {
      if (!packet.has_data || !data.is_array()) return false;
      const auto& array = data.get_array();
      return !array.empty() && array[0].is_string();
    }
    case PacketType::ack:
    case PacketType::binary_ack:
      return packet.has_data && data.is_array() && packet.ack_id.has_value();
  }
  return false;
}

// Boost.JSON reads a number too large for a double (1e400) as infinity and would write it back
// as `Infinity`, which is not JSON: such a payload is refused, so that nothing derived from it
// can reach a client. The parser's depth limit bounds the recursion.
bool numbers_are_finite(const boost::json::value& value) {
  if (value.is_double()) return std::isfinite(value.get_double());
  if (const auto* array = value.if_array()) {
    return std::all_of(array->begin(), array->end(), numbers_are_finite);
  }
  if (const auto* object = value.if_object()) {
    return std::all_of(object->begin(), object->end(),
                       [](const auto& member) { return numbers_are_finite(member.value()); });
  }
  return true;
}

}  // namespace

DecodeResult decode_text(std::string_view text, std::size_t max_attachments,
                         std::size_t& attachments) {
  attachments = 0;
  if (text.empty() || text[0] < '0' || text[0] > '6') return Error::unknown_packet_type;
  Packet packet;
  packet.type = static_cast<PacketType>(text[0]);
  std::size_t pos = 1;

  if (packet.type == PacketType::binary_event || packet.type == PacketType::binary_ack) {
    const auto dash = text.find('-', pos);
    if (dash == std::string_view::npos || dash == pos) return Error::bad_attachment_count;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + dash, attachments);
    if (ec != std::errc{} || end != text.data() + dash) return Error::bad_attachment_count;
    if (attachments > max_attachments) return Error::too_many_attachments;
    pos = dash + 1;
  }

  if (pos < text.size() && text[pos] == '/') {
    const auto comma = text.find(',', pos);
    const auto end = comma == std::string_view::npos ? text.size() : comma;
    packet.nsp = std::string(text.substr(pos, end - pos));
    pos = comma == std::string_view::npos ? text.size() : comma + 1;
  }

  if (pos < text.size() && is_digit(text[pos])) {
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), id);
    if (ec != std::errc{}) return Error::bad_ack_id;
    packet.ack_id = id;
    pos = static_cast<std::size_t>(end - text.data());
  }

  if (pos < text.size()) {
    boost::system::error_code ec;
    packet.data = boost::json::parse(text.substr(pos), ec);
    if (ec) return Error::invalid_json;
    if (!numbers_are_finite(packet.data)) return Error::number_out_of_range;
    packet.has_data = true;
  }

  if (!payload_fits(packet.type, packet)) return Error::payload_mismatch;
  if ((packet.type == PacketType::binary_event || packet.type == PacketType::binary_ack) &&
      attachments == 0) {
    // A binary packet without attachments is just a plain one.
    packet.type = packet.type == PacketType::binary_event ? PacketType::event : PacketType::ack;
  }
  return packet;
}

DecodeResult Decoder::feed_text(std::string_view text) {
  if (pending_) return Error::text_during_attachments;
  std::size_t attachments = 0;
  auto result = decode_text(text, max_attachments_, attachments);
  if (attachments == 0 || !std::holds_alternative<Packet>(result)) return result;
  pending_ = std::make_unique<Packet>(std::move(std::get<Packet>(result)));
  pending_->attachments.reserve(attachments);
  expected_attachments_ = attachments;
  return std::monostate{};
}

DecodeResult Decoder::feed_binary(std::string&& bytes) {
  if (!pending_) return Error::unexpected_attachment;
  pending_bytes_ += bytes.size();
  if (pending_bytes_ > max_attachment_bytes_) return Error::attachments_too_large;
  pending_->attachments.push_back(std::move(bytes));
  if (pending_->attachments.size() < expected_attachments_) return std::monostate{};
  Packet packet = std::move(*pending_);
  pending_.reset();
  expected_attachments_ = 0;
  pending_bytes_ = 0;
  return packet;
}

}  // namespace socketio
