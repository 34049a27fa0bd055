#include "engineio/poll_queue.hpp"

#include <utility>

#include "engineio/payload.hpp"

namespace engineio {
namespace {

std::size_t cost_of(const EncodedPacket& packet) {
  constexpr std::size_t kPacketOverheadBytes = sizeof(SharedPacket) + sizeof(EncodedPacket) + 32;
  return packet.bytes.size() + kPacketOverheadBytes;
}

}  // namespace

net::HttpResponse packets_response(std::span<const SharedPacket> packets) {
  auto response = net::HttpResponse::text(200, {});
  response.shared_body = encode_payload(packets);
  return response;
}

const SharedPacket& noop_packet() {
  static const SharedPacket packet = encode_packet(PacketType::noop);
  return packet;
}

void PollQueue::push(SharedPacket packet) {
  cost_ += cost_of(*packet);
  packets_.push_back(std::move(packet));
}

void PollQueue::flush() {
  if (!poll_ || packets_.empty()) return;
  std::exchange(poll_, nullptr)->respond(packets_response(packets_));
  clear();
}

void PollQueue::answer_noop() {
  if (poll_) std::exchange(poll_, nullptr)->respond(packets_response({&noop_packet(), 1}));
}

std::vector<SharedPacket> PollQueue::take() {
  cost_ = 0;
  return std::exchange(packets_, {});
}

void PollQueue::clear() {
  packets_.clear();
  cost_ = 0;
}

}  // namespace engineio
