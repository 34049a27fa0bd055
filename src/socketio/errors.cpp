#include "socketio/errors.hpp"

#include "base/error_category.hpp"

namespace socketio {
namespace {

std::string_view describe(Error e) {
  switch (e) {
    case Error::unknown_packet_type:
      return "unknown packet type";
    case Error::bad_attachment_count:
      return "bad attachment count";
    case Error::too_many_attachments:
      return "too many attachments";
    case Error::bad_ack_id:
      return "bad ack id";
    case Error::invalid_json:
      return "invalid JSON payload";
    case Error::number_out_of_range:
      return "number out of range";
    case Error::payload_mismatch:
      return "payload does not fit packet type";
    case Error::text_during_attachments:
      return "text packet while waiting for attachments";
    case Error::unexpected_attachment:
      return "unexpected binary attachment";
    case Error::attachments_too_large:
      return "attachments too large";
    case Error::connect_error_from_client:
      return "CONNECT_ERROR from a client";
  }
  return "malformed packet";
}

}  // namespace

const boost::system::error_category& error_category() {
  static const base::EnumErrorCategory<Error> category("socketio", describe);
  return category;
}

boost::system::error_code make_error_code(Error e) {
  return {static_cast<int>(e), error_category()};
}

}  // namespace socketio
