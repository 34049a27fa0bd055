#pragma once
// Why a client's Socket.IO packet was refused, as Beast does errors: an enum with its error
// category. Any of them closes that one connection ("parse error").

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace socketio {

enum class Error {
  unknown_packet_type = 1,
  bad_attachment_count,
  too_many_attachments,
  bad_ack_id,
  invalid_json,
  number_out_of_range,
  payload_mismatch,         // the payload does not fit the packet type
  text_during_attachments,  // a text packet while a binary packet waits for its attachments
  unexpected_attachment,    // binary data that no packet announced
  attachments_too_large,
  connect_error_from_client,  // CONNECT_ERROR goes server to client only
};

const boost::system::error_category& error_category();
boost::system::error_code make_error_code(Error e);

}  // namespace socketio

template <>
struct boost::system::is_error_code_enum<socketio::Error> : std::true_type {};
