#include "engineio/query.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace engineio {

HandshakeQuery parse_query(std::string_view target) {
  HandshakeQuery query;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return query;
  for (const auto& param : url->params()) {
    if (!param.has_value) continue;
    if (param.key == "EIO" && !query.eio) {
      query.eio = param.value;
    } else if (param.key == "transport" && !query.transport) {
      query.transport = param.value;
    } else if (param.key == "sid" && !query.sid) {
      query.sid = param.value;
    }
  }
  return query;
}

}  // namespace engineio
