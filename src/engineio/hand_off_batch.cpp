#include "engineio/hand_off_batch.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "engineio/session.hpp"

namespace engineio {
namespace {

thread_local HandOffBatch* open_batch = nullptr;

}  // namespace

HandOffBatch::HandOffBatch() {
  if (open_batch != nullptr) return;
  open_batch = this;
  open_ = true;
}

HandOffBatch::~HandOffBatch() {
  if (!open_) return;
  open_batch = nullptr;
  if (!sessions_.empty()) post_group();
}

HandOffBatch* HandOffBatch::current() {
  return open_batch;
}

void HandOffBatch::add(std::shared_ptr<Session> session) {
  sessions_.push_back(std::move(session));
  if (sessions_.size() == kSessionsPerHandler) post_group();
}

void HandOffBatch::post_group() {
  auto io = sessions_.front()->strand_.get_inner_executor();
  boost::asio::post(io, [group = std::exchange(sessions_, {})]() mutable {
    for (auto& session : group) {
      auto& strand = session->strand_;
      boost::asio::dispatch(strand,
                            [session = std::move(session)] { session->send_handed_over(); });
    }
  });
}

}  // namespace engineio
