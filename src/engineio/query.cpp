#include "engineio/query.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace engineio {

HandshakeQuery parse_query(std::string_view target) {
  HandshakeQuery query;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return query;
  // The encoded view: a long-polling client sends a request per answer, and the decoded view
  // would copy every key and value (a cache-busting "t" included) into strings of its own.
  boost::urls::encoding_opts form;  // a query decodes '+' as a space, as params() does
  form.space_as_plus = true;
  for (const auto& param : url->encoded_params()) {
    if (!param.has_value) continue;
    const auto key = *param.key;
    if (key == "EIO" && !query.eio) {
      query.eio = param.value.decode(form);
    } else if (key == "transport" && !query.transport) {
      query.transport = param.value.decode(form);
    } else if (key == "sid" && !query.sid) {
      query.sid = param.value.decode(form);
    }
  }
  return query;
}

}  // namespace engineio
