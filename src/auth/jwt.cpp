// JWS compact serialization (RFC 7515) with the JWT claims of RFC 7519, done by hand on OpenSSL 3
// and libsodium instead of a JWT library. The reason: Debian's libjwt picks the verification
// algorithm from the token's own "alg" header (jwt_decode takes one key and uses whatever the
// token names), which is how "alg":"none" and RS256-to-HS256 key-confusion attacks work. Our
// contract is that configuration alone decides which algorithms are accepted and with which
// key; the header can only name one of them. Verifying by hand keeps that decision here.

#include "auth/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "base/base64.hpp"

namespace auth {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTokenSize = 8 * 1024;
// NumericDate values are accepted from 1970 up to 9999-12-31T23:59:59Z, so that nothing derived
// from them can overflow a std::chrono::system_clock::time_point.
constexpr std::int64_t kMaxNumericDate = 253402300799;
constexpr std::size_t kMaxPemSize = 64 * 1024;
constexpr int kMinRsaBits = 2048;  // RFC 7518 section 3.3
constexpr std::size_t kSha256Size = 32;
constexpr std::size_t kEs256CoordinateSize = 32;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const noexcept { ECDSA_SIG_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};
struct OpensslFree {
  void operator()(unsigned char* p) const noexcept { OPENSSL_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool enabled(const std::vector<JwtAlgorithm>& algorithms, JwtAlgorithm algorithm) {
  return std::find(algorithms.begin(), algorithms.end(), algorithm) != algorithms.end();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  if (key.size() > static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument("HS256 secret too long");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), mac,
           &mac_len) == nullptr) {
    ERR_clear_error();
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

bool verify_hs256(std::string_view secret, std::string_view signing_input,
                  std::string_view signature) {
  if (signature.size() != kSha256Size) return false;
  const std::string expected = hmac_sha256(secret, signing_input);
  return expected.size() == kSha256Size &&
         CRYPTO_memcmp(expected.data(), signature.data(), kSha256Size) == 0;
}

// EVP_DigestVerify with SHA-256; `signature` is in OpenSSL's format (PKCS#1 v1.5 for RSA, DER
// ECDSA-Sig-Value for EC).
bool digest_verify(EVP_PKEY* key, bool rsa, std::string_view signing_input,
                   const unsigned char* signature, std::size_t signature_len) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, EVP_sha256(), nullptr, key) == 1 &&
            (!rsa || EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) > 0) &&
            EVP_DigestVerify(ctx.get(), signature, signature_len, bytes(signing_input),
                             signing_input.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

bool verify_rs256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  return digest_verify(key, true, signing_input, bytes(signature), signature.size());
}

// A JWS ES256 signature is r || s, each a 32-byte big-endian integer (RFC 7518 section 3.4);
// OpenSSL verifies the DER encoding of ECDSA-Sig-Value, so convert.
bool verify_es256(EVP_PKEY* key, std::string_view signing_input, std::string_view signature) {
  if (signature.size() != 2 * kEs256CoordinateSize) return false;
  std::unique_ptr<BIGNUM, BnFree> r(BN_bin2bn(bytes(signature), kEs256CoordinateSize, nullptr));
  std::unique_ptr<BIGNUM, BnFree> s(
      BN_bin2bn(bytes(signature) + kEs256CoordinateSize, kEs256CoordinateSize, nullptr));
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  r.release();  // now owned by sig
  s.release();
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  std::unique_ptr<unsigned char, OpensslFree> der_owner(der);
  if (der_len <= 0) {
    ERR_clear_error();
    return false;
  }
  return digest_verify(key, false, signing_input, der, static_cast<std::size_t>(der_len));
}

PkeyPtr load_public_key(const std::string& pem) {
  if (pem.empty() || pem.size() > kMaxPemSize) return nullptr;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  // A callback that refuses passphrases, so that OpenSSL never prompts on the terminal.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return -1; };
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  return key;
}

bool is_rsa_key(EVP_PKEY* key) {
  return EVP_PKEY_is_a(key, "RSA") == 1 && EVP_PKEY_get_bits(key) >= kMinRsaBits;
}

bool is_p256_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  char group[64] = {};
  std::size_t group_len = 0;
  const bool ok = EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) == 1;
  ERR_clear_error();
  return ok && std::string_view(group, group_len) == "prime256v1";
}

std::optional<json::object> parse_object(std::string_view text) {
  json::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// A NumericDate (seconds since the epoch, possibly fractional) in [0, kMaxNumericDate]; fractions
// are rounded in the direction that makes the check stricter.
enum class Round { down, up };
std::optional<std::int64_t> numeric_date(const json::value& value, Round round) {
  std::int64_t seconds = 0;
  if (value.is_int64()) {
    seconds = value.get_int64();
  } else if (value.is_double()) {
    double d = value.get_double();
    if (!std::isfinite(d)) return std::nullopt;
    d = round == Round::down ? std::floor(d) : std::ceil(d);
    if (d < 0 || d > static_cast<double>(kMaxNumericDate)) return std::nullopt;
    seconds = static_cast<std::int64_t>(d);
  } else {
    return std::nullopt;  // uint64 values are all beyond the range; other kinds are not numbers
  }
  if (seconds < 0 || seconds > kMaxNumericDate) return std::nullopt;
  return seconds;
}

// "sub": a decimal string (optionally negative, digits only) or a JSON integer.
std::optional<std::int64_t> user_id_of(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (!value.is_string()) return std::nullopt;
  const json::string& text = value.get_string();
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first == last || *first == '+') return std::nullopt;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || end != last) return std::nullopt;
  return id;
}

// The three parts of a compact JWS, and what the signature covers.
struct TokenParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signing_input;
};

boost::system::result<TokenParts> split_token(std::string_view token) {
  if (token.empty()) return JwtError::empty_token;
  if (token.size() > kMaxTokenSize) return JwtError::token_too_large;
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return JwtError::not_three_parts;
  }
  TokenParts parts{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                   token.substr(dot2 + 1), token.substr(0, dot2)};
  if (parts.header.empty() || parts.payload.empty()) return JwtError::empty_part;
  return parts;
}

// The algorithm the header names, if configuration enables it.
boost::system::result<JwtAlgorithm> algorithm_of_header(std::string_view header_part,
                                                        const std::vector<JwtAlgorithm>& allowed) {
  const auto header_json = base::decode_base64(header_part, base::Base64::url);
  if (!header_json) return JwtError::header_not_base64url;
  const auto header = parse_object(*header_json);
  if (!header) return JwtError::header_not_object;
  const json::value* alg = header->if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return JwtError::header_without_alg;
  if (const json::value* typ = header->if_contains("typ")) {
    // Media type names are case-insensitive (RFC 7515 section 4.1.9).
    if (!typ->is_string() || !iequals(typ->get_string(), "JWT")) {
      return JwtError::header_typ_not_jwt;
    }
  }
  if (header->contains("crit")) return JwtError::header_critical;
  const auto algorithm = algorithm_named(alg->get_string());
  if (!algorithm || !enabled(allowed, *algorithm)) return JwtError::algorithm_not_allowed;
  return *algorithm;
}

// The registered time claims: exp required, nbf and iat optional.
struct TimeClaims {
  std::int64_t expires = 0;
  std::optional<std::int64_t> not_before;
  std::optional<std::int64_t> issued_at;
};

boost::system::result<TimeClaims> time_claims_of(const json::object& payload) {
  TimeClaims times;
  const json::value* exp = payload.if_contains("exp");
  if (exp == nullptr) return JwtError::exp_missing;
  const auto expires = numeric_date(*exp, Round::down);
  if (!expires) return JwtError::exp_invalid;
  times.expires = *expires;
  if (const json::value* nbf = payload.if_contains("nbf")) {
    times.not_before = numeric_date(*nbf, Round::up);
    if (!times.not_before) return JwtError::nbf_invalid;
  }
  if (const json::value* iat = payload.if_contains("iat")) {
    times.issued_at = numeric_date(*iat, Round::down);
    if (!times.issued_at) return JwtError::iat_invalid;
  }
  return times;
}

// Our claims about the user: sub required, role and internal optional.
boost::system::result<void> read_user_claims(const json::object& payload, Claims& claims) {
  const json::value* sub = payload.if_contains("sub");
  if (sub == nullptr) return JwtError::sub_missing;
  const auto user_id = user_id_of(*sub);
  if (!user_id) return JwtError::sub_invalid;
  claims.user_id = *user_id;
  if (const json::value* role = payload.if_contains("role")) {
    if (!role->is_string()) return JwtError::role_not_string;
    claims.role = std::string(role->get_string());
  }
  if (const json::value* internal = payload.if_contains("internal")) {
    if (!internal->is_bool()) return JwtError::internal_not_bool;
    claims.internal = internal->get_bool();
  }
  return {};
}

// exp and nbf against `now`, with the leeway clamped so that the arithmetic cannot overflow.
boost::system::result<void> check_times(const TimeClaims& times, std::chrono::seconds leeway_config,
                                        std::chrono::system_clock::time_point now) {
  const std::int64_t leeway = std::clamp<std::int64_t>(leeway_config.count(), 0, kMaxNumericDate);
  const std::int64_t now_s =
      std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();
  if (now_s > times.expires + leeway) return JwtError::expired;
  if (times.not_before && now_s + leeway < *times.not_before) return JwtError::not_yet_valid;
  return {};
}

boost::system::result<void> check_issuer(const json::object& payload, std::string_view issuer) {
  if (issuer.empty()) return {};
  const json::value* iss = payload.if_contains("iss");
  if (iss == nullptr) return JwtError::iss_missing;
  if (!iss->is_string() || iss->get_string() != issuer) return JwtError::wrong_issuer;
  return {};
}

boost::system::result<void> check_audience(const json::object& payload, std::string_view audience) {
  const json::value* aud = payload.if_contains("aud");
  // RFC 7519 §4.1.3: a token meant for some audience is refused by anyone not configured as part
  // of it; a token minted for another service must not work here.
  if (audience.empty())
    return aud == nullptr ? boost::system::result<void>{} : JwtError::aud_unexpected;
  if (aud == nullptr) return JwtError::aud_missing;
  if (aud->is_string()) {
    if (aud->get_string() != audience) return JwtError::wrong_audience;
    return {};
  }
  if (!aud->is_array()) return JwtError::aud_invalid;
  bool ours = false;
  for (const json::value& entry : aud->get_array()) {
    if (!entry.is_string()) return JwtError::aud_invalid;
    ours = ours || entry.get_string() == audience;
  }
  if (!ours) return JwtError::wrong_audience;
  return {};
}

}  // namespace

std::string_view algorithm_name(JwtAlgorithm algorithm) {
  switch (algorithm) {
    case JwtAlgorithm::hs256:
      return "HS256";
    case JwtAlgorithm::rs256:
      return "RS256";
    case JwtAlgorithm::es256:
      return "ES256";
  }
  return "";
}

std::optional<JwtAlgorithm> algorithm_named(std::string_view name) {
  for (auto algorithm : {JwtAlgorithm::hs256, JwtAlgorithm::rs256, JwtAlgorithm::es256}) {
    if (algorithm_name(algorithm) == name) return algorithm;
  }
  return std::nullopt;
}

std::optional<JwtAlgorithm> algorithm_for_public_key(const std::string& pem) {
  auto key = load_public_key(pem);
  if (!key) return std::nullopt;
  if (is_rsa_key(key.get())) return JwtAlgorithm::rs256;
  if (is_p256_key(key.get())) return JwtAlgorithm::es256;
  return std::nullopt;
}

struct JwtVerifier::Keys {
  PkeyPtr public_key;  // for RS256 or ES256
};

JwtVerifier::JwtVerifier(JwtConfig config)
    : config_(std::move(config)), keys_(std::make_unique<Keys>()) {
  const auto& algorithms = config_.algorithms;
  if (algorithms.empty()) throw std::invalid_argument("JWT: no algorithm enabled");
  if (enabled(algorithms, JwtAlgorithm::hs256) && config_.hs256_secret.empty()) {
    throw std::invalid_argument("JWT: HS256 is enabled without a secret");
  }
  const bool rs256 = enabled(algorithms, JwtAlgorithm::rs256);
  const bool es256 = enabled(algorithms, JwtAlgorithm::es256);
  if (rs256 && es256) {
    throw std::invalid_argument("JWT: RS256 and ES256 cannot share the one public key");
  }
  if (rs256 || es256) {
    keys_->public_key = load_public_key(config_.public_key_pem);
    if (!keys_->public_key) {
      throw std::invalid_argument("JWT: the public key is missing or is not a PEM public key");
    }
    if (rs256 && !is_rsa_key(keys_->public_key.get())) {
      throw std::invalid_argument("JWT: RS256 needs an RSA public key of at least 2048 bits");
    }
    if (es256 && !is_p256_key(keys_->public_key.get())) {
      throw std::invalid_argument("JWT: ES256 needs an EC P-256 public key");
    }
  }
}

JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;

bool JwtVerifier::signature_matches(JwtAlgorithm algorithm, std::string_view signing_input,
                                    std::string_view signature) const {
  switch (algorithm) {
    case JwtAlgorithm::hs256:
      return verify_hs256(config_.hs256_secret, signing_input, signature);
    case JwtAlgorithm::rs256:
      return keys_ && keys_->public_key &&
             verify_rs256(keys_->public_key.get(), signing_input, signature);
    case JwtAlgorithm::es256:
      return keys_ && keys_->public_key &&
             verify_es256(keys_->public_key.get(), signing_input, signature);
  }
  return false;
}

// Parse the header, check the signature, then (and only then) read the claims.
boost::system::result<Claims> JwtVerifier::verify(std::string_view token,
                                                  std::chrono::system_clock::time_point now) const {
  const auto parts = split_token(token);
  if (!parts) return parts.error();
  const auto algorithm = algorithm_of_header(parts->header, config_.algorithms);
  if (!algorithm) return algorithm.error();

  const auto payload_json = base::decode_base64(parts->payload, base::Base64::url);
  if (!payload_json) return JwtError::payload_not_base64url;
  const auto signature = base::decode_base64(parts->signature, base::Base64::url);
  if (!signature) return JwtError::signature_not_base64url;
  if (!signature_matches(*algorithm, parts->signing_input, *signature)) {
    return JwtError::bad_signature;
  }

  auto payload = parse_object(*payload_json);
  if (!payload) return JwtError::payload_not_object;
  return read_claims(std::move(*payload), now);
}

boost::system::result<Claims> JwtVerifier::read_claims(
    json::object payload, std::chrono::system_clock::time_point now) const {
  const auto times = time_claims_of(payload);
  if (!times) return times.error();
  Claims claims;
  claims.expires_at = std::chrono::sys_seconds{std::chrono::seconds{times->expires}};
  if (times->issued_at) {
    claims.issued_at = std::chrono::sys_seconds{std::chrono::seconds{*times->issued_at}};
  }
  for (const auto& checked :
       {read_user_claims(payload, claims), check_times(*times, config_.leeway, now),
        check_issuer(payload, config_.issuer), check_audience(payload, config_.audience)}) {
    if (!checked) return checked.error();
  }
  claims.all = std::move(payload);
  return claims;
}

JwtIssuer::JwtIssuer(JwtConfig config) : config_(std::move(config)) {
  if (config_.hs256_secret.empty())
    throw std::invalid_argument("JWT: issuing needs an HS256 secret");
  if (config_.lifetime <= std::chrono::seconds::zero() ||
      config_.lifetime > std::chrono::seconds{kMaxNumericDate}) {
    throw std::invalid_argument("JWT: token lifetime must be positive (and not absurd)");
  }
}

std::string JwtIssuer::issue(std::int64_t user_id, std::string_view role, bool internal,
                             std::chrono::system_clock::time_point now) const {
  const std::int64_t issued_at =
      std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count();

  json::object header;
  header["alg"] = algorithm_name(JwtAlgorithm::hs256);
  header["typ"] = "JWT";

  json::object payload;
  payload["sub"] = std::to_string(user_id);
  payload["role"] = json::string_view(role.data(), role.size());
  payload["internal"] = internal;
  payload["iat"] = issued_at;
  payload["exp"] = issued_at + config_.lifetime.count();
  if (!config_.issuer.empty()) payload["iss"] = config_.issuer;
  // So that a verifier with the same configuration accepts what we issue.
  if (!config_.audience.empty()) payload["aud"] = config_.audience;

  std::string token = base::encode_base64(json::serialize(header), base::Base64::url);
  token += '.';
  token += base::encode_base64(json::serialize(payload), base::Base64::url);
  const std::string signature = hmac_sha256(config_.hs256_secret, token);
  token += '.';
  token += base::encode_base64(signature, base::Base64::url);
  return token;
}

}  // namespace auth
