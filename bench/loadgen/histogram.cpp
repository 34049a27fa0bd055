#include "histogram.hpp"

#include <algorithm>
#include <bit>

namespace loadgen {

std::size_t Histogram::bucket_of(std::int64_t micros) {
  const auto value = static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 1));
  const int power = std::bit_width(value) - 1;
  if (power < kSubBits) return static_cast<std::size_t>(value);
  const auto sub = (value >> (power - kSubBits)) & ((1u << kSubBits) - 1);
  const auto bucket = (static_cast<std::size_t>(power - kSubBits + 1) << kSubBits) + sub;
  return std::min(bucket, kBuckets - 1);
}

std::int64_t Histogram::upper_edge(std::size_t bucket) {
  if (bucket < (1u << kSubBits)) return static_cast<std::int64_t>(bucket);
  const auto power = static_cast<int>(bucket >> kSubBits) + kSubBits - 1;
  const auto sub = bucket & ((1u << kSubBits) - 1);
  return static_cast<std::int64_t>(((1ull << kSubBits) + sub + 1) << (power - kSubBits));
}

void Histogram::record(std::int64_t micros) {
  ++counts_[bucket_of(micros)];
  ++count_;
  max_ = std::max(max_, micros);
}

std::int64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  const auto target = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(upper_edge(i), max_);
  }
  return max_;
}

void Histogram::clear() {
  counts_.fill(0);
  count_ = 0;
  max_ = 0;
}

std::string Histogram::to_json() const {
  std::string out = "{\"count\":" + std::to_string(count_) +
                    ",\"p50_us\":" + std::to_string(percentile(0.50)) +
                    ",\"p90_us\":" + std::to_string(percentile(0.90)) +
                    ",\"p99_us\":" + std::to_string(percentile(0.99)) +
                    ",\"max_us\":" + std::to_string(max_) + ",\"buckets\":[";
  bool first = true;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    if (counts_[i] == 0) continue;
    if (!first) out += ',';
    first = false;
    out += '[' + std::to_string(upper_edge(i)) + ',' + std::to_string(counts_[i]) + ']';
  }
  return out + "]}";
}

}  // namespace loadgen
