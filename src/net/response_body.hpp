#pragma once
// The Beast body type of every response: the response's own bytes, then bytes shared with other
// responses. Beast's serializer hands them with the header to one gather write, so that what
// many responses share (one broadcast's packet in every polling answer) is never copied.

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "net/shared_bytes.hpp"

namespace net {

struct ResponseBody {
  struct value_type {
    std::string owned;
    std::vector<SharedBytes> shared;
  };

  static std::uint64_t size(const value_type& body) {
    std::uint64_t total = body.owned.size();
    for (const auto& piece : body.shared) total += piece->size();
    return total;
  }

  // Beast's BodyWriter: all of the body at once, as one buffer sequence.
  class writer {
   public:
    using const_buffers_type = std::vector<boost::asio::const_buffer>;

    template <bool isRequest, class Fields>
    writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body)
        : body_(body) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      if (std::exchange(done_, true)) return boost::none;
      const_buffers_type buffers;
      buffers.reserve(body_.shared.size() + 1);
      if (!body_.owned.empty()) buffers.emplace_back(boost::asio::buffer(body_.owned));
      for (const auto& piece : body_.shared) {
        if (!piece->empty()) buffers.emplace_back(boost::asio::buffer(*piece));
      }
      if (buffers.empty()) return boost::none;
      return std::make_pair(std::move(buffers), false);
    }

   private:
    const value_type& body_;
    bool done_ = false;
  };
};

}  // namespace net
