// Bearer tokens as clients send them, checked by verifiers configured as production may be:
// HS256 together with an RS256 or an ES256 public key, with issuer and audience checks. An input
// that starts with '{' is taken as a claims set instead, which the target signs with the HS256
// secret first, so that the claim checks behind the signature are fuzzed too. A third verifier,
// HS256 alone and no audience configured, must refuse every token that names an audience. Every
// refusal must carry one of the documented error codes; every acceptance must hold a token that
// has not expired, comes from our issuer and is meant for our audience.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "base/base64.hpp"
#include "check.hpp"

namespace {

using namespace std::chrono_literals;

// Test keys made for this target only; the seed tokens in corpus/fuzz_jwt are signed with them.
constexpr std::string_view kSecret = "fuzz-hs256-secret-0123456789abcdef";
constexpr std::string_view kRsaPublicKey = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAm4A6NEhJJczXc9U5Tilq
192Eu3hZjvLb84bC1LaK910GFWE2nZIjGaKFCB6ICv7t+owilAxqO//WrQsG9IEm
psUO1O5AMFZtNanG+VHhDTK+dayCJrVOx5arL58Ijn9TIs6Bz5EsLZ8kwzCk3RRj
r6ztLDSFUmi5+aj9ViJNGj484GLD1m8I4Jt2e/A8L+yFqhLtqfW3dEtgislSP+rY
5qoduKglQ5tk3/O6ZIPVIyk80wqxM5fhIW5E5dgYESqJfEiWSt9WCgaUMGE6xLFU
zkJ6HuAWNNRkeKYEp4iBm6hC16cbP1aGNoxb9gFnMbbhH9k5hWx+b2NVObnD/QfJ
swIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view kEcPublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAER28Uck9u4n8FogBgFw9YAC3yJ7jY
3mrb+837m5QV9zlldpGlBN9mxId2N5etZzoPZV9W5v3KtdP6LuCdiQjOFg==
-----END PUBLIC KEY-----
)";
// The seed tokens are valid at this instant (2026-06-01T00:00:00Z), and stay so for the fuzzer.
constexpr std::chrono::sys_seconds kNow{1'780'272'000s};

constexpr std::string_view kAudience = "reportd-web";

auth::JwtConfig config_with(std::optional<auth::JwtAlgorithm> key_algorithm, std::string_view key) {
  auth::JwtConfig config;
  config.hs256_secret = std::string(kSecret);
  if (key_algorithm) {
    config.public_key_pem = std::string(key);
    config.algorithms = {auth::JwtAlgorithm::hs256, *key_algorithm};
    config.audience = std::string(kAudience);
  }
  return config;
}

std::string hs256_token(std::string_view claims) {
  std::string token = base::encode_base64(R"({"alg":"HS256","typ":"JWT"})", base::Base64::url);
  token += '.';
  token += base::encode_base64(claims, base::Base64::url);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac.data(), &mac_size);
  token += '.';
  token += base::encode_base64(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac_size), base::Base64::url);
  return token;
}

bool names_audience(const boost::json::value& aud, std::string_view audience) {
  if (aud.is_string()) return aud.get_string() == audience;
  if (!aud.is_array()) return false;
  for (const auto& entry : aud.get_array()) {
    if (entry.is_string() && entry.get_string() == audience) return true;
  }
  return false;
}

void check_accepted(const auth::Claims& claims, const auth::JwtConfig& config) {
  FUZZ_CHECK(claims.expires_at + config.leeway >= kNow);
  const auto* iss = claims.all.if_contains("iss");
  FUZZ_CHECK(iss && iss->is_string() && iss->get_string() == config.issuer);
  const auto* aud = claims.all.if_contains("aud");
  if (config.audience.empty()) {
    FUZZ_CHECK(!aud);
  } else {
    FUZZ_CHECK(aud && names_audience(*aud, config.audience));
  }
}

void check_outcome(const boost::system::result<auth::Claims>& outcome,
                   const auth::JwtConfig& config) {
  if (outcome) {
    check_accepted(*outcome, config);
    return;
  }
  // Every refusal is a JwtError with a message and one of the conditions clients branch on.
  FUZZ_CHECK(outcome.error().category() == auth::jwt_error_category());
  FUZZ_CHECK(!outcome.error().message().empty());
  const auto condition = outcome.error().default_error_condition();
  FUZZ_CHECK(condition.category() == auth::jwt_condition_category());
  FUZZ_CHECK(condition.value() >= static_cast<int>(auth::JwtCondition::malformed) &&
             condition.value() <= static_cast<int>(auth::JwtCondition::missing_claim));
}

struct Verifier {
  auth::JwtConfig config;
  auth::JwtVerifier verifier{config};

  void check(std::string_view token) const {
    check_outcome(verifier.verify(token, std::chrono::system_clock::time_point(kNow)), config);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Verifier rs256{config_with(auth::JwtAlgorithm::rs256, kRsaPublicKey)};
  static const Verifier es256{config_with(auth::JwtAlgorithm::es256, kEcPublicKey)};
  static const Verifier hs256_alone{config_with(std::nullopt, {})};
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto token = input.starts_with('{') ? hs256_token(input) : std::string(input);
  rs256.check(token);
  es256.check(token);
  hs256_alone.check(token);
  return 0;
}
