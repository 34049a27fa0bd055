// JWT verification and issuance. Tokens are built here independently of auth/ (own base64url,
// OpenSSL signing), so that the verifier is tested against what other issuers produce.

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "auth/jwt.hpp"

namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::chrono::sys_seconds kNow{1'700'000'000s};
const std::int64_t kNowS = 1'700'000'000;
const std::string kSecret = "unit-test-secret-with-enough-bytes-0123456789";

// ---- building tokens --------------------------------------------------------------------------

std::string b64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (bytes.size() - i == 1) {
    const unsigned v = byte(i) << 16;
    for (int shift : {18, 12}) out += kAlphabet[(v >> shift) & 63];
  } else if (bytes.size() - i == 2) {
    const unsigned v = byte(i) << 16 | byte(i + 1) << 8;
    for (int shift : {18, 12, 6}) out += kAlphabet[(v >> shift) & 63];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string der_sign(EVP_PKEY* key, std::string_view data) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    throw std::runtime_error("EVP_DigestSignInit");
  }
  std::size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign size");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    throw std::runtime_error("EVP_DigestSign");
  }
  sig.resize(len);
  return sig;
}

// DER ECDSA-Sig-Value to the JWS form r || s (32 bytes each).
std::string der_to_raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), ECDSA_SIG_free);
  if (!sig) throw std::runtime_error("d2i_ECDSA_SIG");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32);
  return raw;
}

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string private_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

// Keys are slow to make: once for the whole program.
struct Keys {
  Pkey rsa{EVP_RSA_gen(2048)};
  Pkey rsa_other{EVP_RSA_gen(2048)};
  Pkey rsa_small{EVP_RSA_gen(1024)};
  Pkey ec{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  Pkey ec_other{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
  Pkey ec384{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")};
  Pkey ed25519{EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")};
};
const Keys& keys() {
  static const Keys k;
  return k;
}

std::string encode_part(const json::value& v) {
  return b64url(json::serialize(v));
}

std::string signing_input(const json::value& header, const json::value& payload) {
  return encode_part(header) + "." + encode_part(payload);
}

std::string hs256_token(const json::value& payload, std::string_view secret = kSecret,
                        const json::value& header = {{"alg", "HS256"}, {"typ", "JWT"}}) {
  const std::string input = signing_input(header, payload);
  return input + "." + b64url(hmac(secret, input));
}

std::string rs256_token(const json::value& payload, EVP_PKEY* key,
                        const json::value& header = {{"alg", "RS256"}, {"typ", "JWT"}}) {
  const std::string input = signing_input(header, payload);
  return input + "." + b64url(der_sign(key, input));
}

std::string es256_token(const json::value& payload, EVP_PKEY* key,
                        const json::value& header = {{"alg", "ES256"}, {"typ", "JWT"}}) {
  const std::string input = signing_input(header, payload);
  return input + "." + b64url(der_to_raw(der_sign(key, input)));
}

json::object claims(std::int64_t exp_offset = 600) {
  return {{"sub", "42"},       {"role", "operator"},        {"internal", true},
          {"iat", kNowS - 60}, {"exp", kNowS + exp_offset}, {"iss", "reportd"}};
}

auth::JwtConfig hs_config() {
  auth::JwtConfig config;
  config.hs256_secret = kSecret;
  return config;
}

auth::JwtConfig key_config(auth::JwtAlgorithm algorithm, EVP_PKEY* key) {
  auth::JwtConfig config;
  config.algorithms = {algorithm};
  config.public_key_pem = public_pem(key);
  return config;
}

// The error code, or "ok".
std::string outcome(const auth::JwtVerifier& verifier, std::string_view token,
                    std::chrono::system_clock::time_point now = kNow) {
  const auto result = verifier.verify(token, now);
  if (!result) {
    EXPECT_FALSE(result.error().message().empty());
    return result.error().default_error_condition().message();
  }
  return "ok";
}

std::string flip_signature_byte(const std::string& token) {
  // Flip a bit in the middle of the signature part, keeping the base64url valid.
  std::string out = token;
  const auto pos = out.rfind('.') + 5;
  out[pos] = out[pos] == 'A' ? 'B' : 'A';
  return out;
}

// ---- HS256 issue and verify -------------------------------------------------------------------

TEST(Jwt, IssueThenVerify) {
  const auth::JwtIssuer issuer(hs_config());
  const auth::JwtVerifier verifier(hs_config());
  const std::string token = issuer.issue(42, "operator", true, kNow + 500ms);
  const auto result = verifier.verify(token, kNow + 10s);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  const auto& claims = result.value();
  EXPECT_EQ(claims.user_id, 42);
  EXPECT_EQ(claims.role, "operator");
  EXPECT_TRUE(claims.internal);
  EXPECT_EQ(claims.issued_at, kNow);
  EXPECT_EQ(claims.expires_at, kNow + 3600s);
  EXPECT_EQ(claims.all.at("iss").as_string(), "reportd");
  EXPECT_EQ(claims.all.at("sub").as_string(), "42");
  EXPECT_EQ(claims.all.at("exp").as_int64(), kNowS + 3600);
  EXPECT_FALSE(claims.all.contains("aud"));
}

TEST(Jwt, IssuedHeaderAndPayloadShape) {
  const auth::JwtIssuer issuer(hs_config());
  const std::string token = issuer.issue(-7, "citizen", false, kNow);
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  ASSERT_NE(dot2, std::string::npos);
  EXPECT_EQ(token.substr(0, dot1), b64url(R"({"alg":"HS256","typ":"JWT"})"));
  EXPECT_EQ(token.substr(dot1 + 1, dot2 - dot1 - 1),
            b64url(R"({"sub":"-7","role":"citizen","internal":false,"iat":1700000000,)"
                   R"("exp":1700003600,"iss":"reportd"})"));
  // The signature is HMAC-SHA256 over the first two parts, as anyone else computes it.
  EXPECT_EQ(token.substr(dot2 + 1), b64url(hmac(kSecret, token.substr(0, dot2))));
  EXPECT_EQ(token.find('='), std::string::npos);

  const auth::JwtVerifier verifier(hs_config());
  const auto result = verifier.verify(token, kNow);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result.value().user_id, -7);
  EXPECT_FALSE(result.value().internal);
}

TEST(Jwt, IssuerWithoutIssuerOrWithAudience) {
  auto config = hs_config();
  config.issuer.clear();
  config.audience = "reportd-api";
  config.lifetime = 60s;
  const auth::JwtIssuer issuer(config);
  const std::string token = issuer.issue(1, "", false, kNow);
  const auth::JwtVerifier verifier(config);
  const auto result = verifier.verify(token, kNow);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  const auto& claims = result.value();
  EXPECT_FALSE(claims.all.contains("iss"));
  EXPECT_EQ(claims.all.at("aud").as_string(), "reportd-api");
  EXPECT_EQ(claims.expires_at, kNow + 60s);
  EXPECT_EQ(outcome(verifier, token, kNow + 91s), "expired");
}

TEST(Jwt, HandMadeHs256TokenVerifies) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["custom"] = json::array{1, 2};
  const auto result = verifier.verify(hs256_token(payload), kNow);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  const auto& c = result.value();
  EXPECT_EQ(c.user_id, 42);
  EXPECT_EQ(c.issued_at, kNow - 60s);
  EXPECT_EQ(c.expires_at, kNow + 600s);
  EXPECT_EQ(c.all.at("custom"), (json::array{1, 2}));
  // "typ" is optional.
  EXPECT_EQ(outcome(verifier, hs256_token(claims(), kSecret, {{"alg", "HS256"}})), "ok");
}

TEST(Jwt, BadSignature) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string token = hs256_token(claims());
  ASSERT_EQ(outcome(verifier, token), "ok");
  EXPECT_EQ(outcome(verifier, flip_signature_byte(token)), "bad_signature");
  EXPECT_EQ(outcome(verifier, hs256_token(claims(), "another secret")), "bad_signature");
  // Payload changed after signing: role escalated.
  auto forged = claims();
  forged["role"] = "admin";
  const std::string forged_token =
      token.substr(0, token.find('.') + 1) + encode_part(forged) + token.substr(token.rfind('.'));
  EXPECT_EQ(outcome(verifier, forged_token), "bad_signature");
  // Empty, truncated and extended signatures.
  const std::string input = token.substr(0, token.rfind('.') + 1);
  EXPECT_EQ(outcome(verifier, input), "bad_signature");
  EXPECT_EQ(outcome(verifier, token.substr(0, token.size() - 3)), "bad_signature");
  EXPECT_EQ(outcome(verifier, token + "AAAA"), "bad_signature");
}

// ---- algorithms -------------------------------------------------------------------------------

TEST(Jwt, AlgNoneIsRefused) {
  auth::JwtConfig config = hs_config();
  config.public_key_pem = public_pem(keys().rsa.get());
  config.algorithms = {auth::JwtAlgorithm::hs256, auth::JwtAlgorithm::rs256};
  const auth::JwtVerifier verifier(config);
  const std::string payload = encode_part(claims());
  for (const char* alg :
       {"none", "None", "NONE", "nOnE", "", "HS256 ", "hs256", "HS512", "PS256"}) {
    const std::string header = encode_part(json::object{{"alg", alg}});
    const std::string unsigned_token = header + "." + payload + ".";
    EXPECT_EQ(outcome(verifier, unsigned_token), "algorithm_not_allowed") << alg;
    const std::string signed_token =
        header + "." + payload + "." + b64url(hmac(kSecret, header + "." + payload));
    EXPECT_EQ(outcome(verifier, signed_token), "algorithm_not_allowed") << alg;
  }
  EXPECT_EQ(outcome(verifier, encode_part(json::object{{"alg", "none"}, {"typ", "JWT"}}) + "." +
                                  payload + "."),
            "algorithm_not_allowed");
}

TEST(Jwt, AlgorithmNotConfigured) {
  const auth::JwtVerifier rs_only(key_config(auth::JwtAlgorithm::rs256, keys().rsa.get()));
  EXPECT_EQ(outcome(rs_only, hs256_token(claims())), "algorithm_not_allowed");
  EXPECT_EQ(outcome(rs_only, es256_token(claims(), keys().ec.get())), "algorithm_not_allowed");

  const auth::JwtVerifier hs_only(hs_config());
  EXPECT_EQ(outcome(hs_only, rs256_token(claims(), keys().rsa.get())), "algorithm_not_allowed");
  EXPECT_EQ(outcome(hs_only, es256_token(claims(), keys().ec.get())), "algorithm_not_allowed");
}

TEST(Jwt, KeyConfusionAttackIsRefused) {
  // The attacker knows the RSA public key and signs an HS256 token with its PEM as HMAC secret.
  const std::string pem = public_pem(keys().rsa.get());
  const std::string attack = hs256_token(claims(), pem);
  const auth::JwtVerifier rs_only(key_config(auth::JwtAlgorithm::rs256, keys().rsa.get()));
  EXPECT_EQ(outcome(rs_only, attack), "algorithm_not_allowed");

  // With both enabled, HS256 uses its own secret, never the public key.
  auto both = key_config(auth::JwtAlgorithm::rs256, keys().rsa.get());
  both.algorithms.push_back(auth::JwtAlgorithm::hs256);
  both.hs256_secret = kSecret;
  const auth::JwtVerifier verifier(both);
  EXPECT_EQ(outcome(verifier, attack), "bad_signature");
  EXPECT_EQ(outcome(verifier, rs256_token(claims(), keys().rsa.get())), "ok");
  EXPECT_EQ(outcome(verifier, hs256_token(claims())), "ok");
}

TEST(Jwt, Rs256) {
  const auth::JwtVerifier verifier(key_config(auth::JwtAlgorithm::rs256, keys().rsa.get()));
  const std::string token = rs256_token(claims(), keys().rsa.get());
  const auto result = verifier.verify(token, kNow);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result.value().user_id, 42);
  EXPECT_EQ(result.value().role, "operator");

  EXPECT_EQ(outcome(verifier, flip_signature_byte(token)), "bad_signature");
  EXPECT_EQ(outcome(verifier, rs256_token(claims(), keys().rsa_other.get())), "bad_signature");
  // An ECDSA signature under an RS256 header.
  const std::string input = token.substr(0, token.rfind('.'));
  EXPECT_EQ(outcome(verifier, input + "." + b64url(der_to_raw(der_sign(keys().ec.get(), input)))),
            "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "."), "bad_signature");
}

TEST(Jwt, Es256) {
  const auth::JwtVerifier verifier(key_config(auth::JwtAlgorithm::es256, keys().ec.get()));
  const std::string token = es256_token(claims(), keys().ec.get());
  const auto result = verifier.verify(token, kNow);
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result.value().user_id, 42);

  EXPECT_EQ(outcome(verifier, flip_signature_byte(token)), "bad_signature");
  EXPECT_EQ(outcome(verifier, es256_token(claims(), keys().ec_other.get())), "bad_signature");

  const std::string input = token.substr(0, token.rfind('.'));
  const std::string der = der_sign(keys().ec.get(), input);
  const std::string raw = der_to_raw(der);
  // The DER form OpenSSL produces is not a JWS signature.
  EXPECT_EQ(outcome(verifier, input + "." + b64url(der)), "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "." + b64url(raw.substr(0, 63))), "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "." + b64url(raw + std::string(1, '\0'))), "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "." + b64url(std::string(64, '\0'))), "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "." + b64url(std::string(64, '\xff'))), "bad_signature");
  EXPECT_EQ(outcome(verifier, input + "." + b64url(raw)), "ok");
}

// ---- time -------------------------------------------------------------------------------------

TEST(Jwt, Expiry) {
  const auth::JwtVerifier verifier(hs_config());  // leeway 30 s
  EXPECT_EQ(outcome(verifier, hs256_token(claims(-1))), "ok");
  EXPECT_EQ(outcome(verifier, hs256_token(claims(-30))), "ok");
  EXPECT_EQ(outcome(verifier, hs256_token(claims(-31))), "expired");
  EXPECT_EQ(outcome(verifier, hs256_token(claims(-100000))), "expired");
  auto epoch = claims();
  epoch["exp"] = 0;
  EXPECT_EQ(outcome(verifier, hs256_token(epoch)), "expired");

  auto strict = hs_config();
  strict.leeway = 0s;
  const auth::JwtVerifier no_leeway(strict);
  EXPECT_EQ(outcome(no_leeway, hs256_token(claims(0))), "ok");
  EXPECT_EQ(outcome(no_leeway, hs256_token(claims(-1))), "expired");
}

TEST(Jwt, NotBefore) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["nbf"] = kNowS + 31;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "not_yet_valid");
  EXPECT_EQ(outcome(verifier, hs256_token(payload), kNow + 1s), "ok");
  payload["nbf"] = kNowS + 30;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "ok");
  payload["nbf"] = kNowS - 1000;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "ok");
  payload["nbf"] = "soon";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
}

TEST(Jwt, NumericDateForms) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["exp"] = static_cast<double>(kNowS) + 0.5;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "ok");
  for (const json::value& bad :
       {json::value("1700000600"), json::value(true), json::value(nullptr), json::value(-1),
        json::value(1e300), json::value(std::uint64_t{18446744073709551615u})}) {
    payload["exp"] = bad;
    EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed") << bad;
  }
  payload = claims();
  payload["iat"] = "yesterday";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
}

// ---- issuer and audience ----------------------------------------------------------------------

TEST(Jwt, Issuer) {
  const auth::JwtVerifier verifier(hs_config());  // issuer "reportd"
  auto payload = claims();
  payload["iss"] = "someone-else";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_issuer");
  payload["iss"] = "Reportd";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_issuer");
  payload["iss"] = json::array{"reportd"};
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_issuer");
  payload.erase("iss");
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "missing_claim");

  auto any = hs_config();
  any.issuer.clear();
  const auth::JwtVerifier unchecked(any);
  EXPECT_EQ(outcome(unchecked, hs256_token(payload)), "ok");
  payload["iss"] = "someone-else";
  EXPECT_EQ(outcome(unchecked, hs256_token(payload)), "ok");
}

TEST(Jwt, Audience) {
  auto config = hs_config();
  config.audience = "reportd-api";
  const auth::JwtVerifier verifier(config);
  auto payload = claims();
  payload["aud"] = "reportd-api";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "ok");
  payload["aud"] = json::array{"other", "reportd-api"};
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "ok");
  payload["aud"] = "other";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_audience");
  payload["aud"] = json::array{"other", "reportd"};
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_audience");
  payload["aud"] = json::array{};
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "wrong_audience");
  payload["aud"] = json::array{"reportd-api", 7};
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
  payload["aud"] = 7;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
  payload.erase("aud");
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "missing_claim");

  // Without a configured audience, a token that names one is not for us (RFC 7519 §4.1.3).
  const auth::JwtVerifier unconfigured(hs_config());
  EXPECT_EQ(outcome(unconfigured, hs256_token(payload)), "ok");
  payload["aud"] = "anything";
  EXPECT_EQ(outcome(unconfigured, hs256_token(payload)), "wrong_audience");
  payload["aud"] = json::array{};
  EXPECT_EQ(outcome(unconfigured, hs256_token(payload)), "wrong_audience");
}

// ---- required and typed claims ----------------------------------------------------------------

TEST(Jwt, MissingClaims) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload.erase("exp");
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "missing_claim");
  payload = claims();
  payload.erase("sub");
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "missing_claim");
  // role and internal are optional.
  payload = claims();
  payload.erase("role");
  payload.erase("internal");
  payload.erase("iat");
  const auto result = verifier.verify(hs256_token(payload), kNow);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result.value().role, "");
  EXPECT_FALSE(result.value().internal);
  EXPECT_EQ(result.value().issued_at, std::chrono::sys_seconds{});
}

TEST(Jwt, Subject) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  const auto user_id = [&](const json::value& sub) -> std::optional<std::int64_t> {
    payload["sub"] = sub;
    const auto result = verifier.verify(hs256_token(payload), kNow);
    if (!result) {
      EXPECT_EQ(result.error(), auth::JwtCondition::malformed) << sub;
      return std::nullopt;
    }
    return result.value().user_id;
  };
  EXPECT_EQ(user_id("17"), 17);
  EXPECT_EQ(user_id(17), 17);
  EXPECT_EQ(user_id("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(user_id("-3"), -3);
  for (const json::value& bad :
       {json::value(""), json::value("abc"), json::value("17a"), json::value(" 17"),
        json::value("+17"), json::value("0x11"), json::value("9223372036854775808"),
        json::value(1.5), json::value(true), json::value(nullptr), json::value(json::array{1}),
        json::value(std::uint64_t{9223372036854775808u})}) {
    EXPECT_FALSE(user_id(bad)) << bad;
  }
}

TEST(Jwt, RoleAndInternalTypes) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["role"] = 5;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
  payload = claims();
  payload["internal"] = "true";
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
  payload["internal"] = 1;
  EXPECT_EQ(outcome(verifier, hs256_token(payload)), "malformed");
}

// ---- malformed tokens -------------------------------------------------------------------------

TEST(Jwt, MalformedShapes) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string good = hs256_token(claims());
  const auto dot1 = good.find('.');
  const auto dot2 = good.rfind('.');
  const std::string header = good.substr(0, dot1);
  const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = good.substr(dot2 + 1);

  for (const std::string& token :
       {std::string(), std::string("abc"), std::string("."), std::string(".."), std::string("..."),
        header + "." + payload, header + "." + payload + "." + signature + ".",
        header + "." + payload + "." + signature + "." + signature, "." + payload + "." + signature,
        header + ".." + signature, good + " ", " " + good, "Bearer " + good}) {
    EXPECT_EQ(outcome(verifier, token), "malformed") << '"' << token << '"';
  }
}

TEST(Jwt, MalformedBase64) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string good = hs256_token(claims());
  const auto dot1 = good.find('.');
  const auto dot2 = good.rfind('.');
  const std::string header = good.substr(0, dot1);
  const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string signature = good.substr(dot2 + 1);

  // Standard-alphabet characters, padding, whitespace, and impossible lengths.
  EXPECT_EQ(outcome(verifier, "!!!!." + payload + "." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "+/." + payload + "." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "=." + payload + "." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "." + payload + "==." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "." + payload.substr(0, 4) + " " + payload.substr(4) + "." +
                                  signature),
            "malformed");
  EXPECT_EQ(outcome(verifier, header + "." + payload + "\n." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "A." + payload + "." + signature), "malformed");
  EXPECT_EQ(outcome(verifier, header + "." + payload + "." + signature + "="), "malformed");
  EXPECT_EQ(outcome(verifier, header + "." + payload + "." + signature.substr(1) + "*"),
            "malformed");
}

TEST(Jwt, NonCanonicalBase64IsRefused) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string good = hs256_token(claims());
  // 32 signature bytes make 43 characters; the last one carries 4 bits and 2 must-be-zero bits.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bad = good;
  const auto last = kAlphabet.find(bad.back());
  ASSERT_EQ(last & 3, 0u);
  bad.back() = kAlphabet[last | 1];
  EXPECT_EQ(outcome(verifier, good), "ok");
  EXPECT_EQ(outcome(verifier, bad), "malformed");
}

TEST(Jwt, MalformedHeader) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string payload = encode_part(claims());
  const auto token_with_header = [&](std::string_view header_text) {
    const std::string input = b64url(header_text) + "." + payload;
    return input + "." + b64url(hmac(kSecret, input));
  };
  EXPECT_EQ(outcome(verifier, token_with_header(R"({"alg":"HS256","typ":"JWT"})")), "ok");
  EXPECT_EQ(outcome(verifier, token_with_header(R"({"alg":"HS256","typ":"jwt"})")), "ok");
  for (const char* header : {"not json", "", "{", R"(["alg","HS256"])", R"("HS256")", "null",
                             R"({"typ":"JWT"})", R"({"alg":null})", R"({"alg":["HS256"]})",
                             R"({"alg":256})", R"({"alg":"HS256","typ":"JOSE"})",
                             R"({"alg":"HS256","typ":1})", R"({"alg":"HS256","crit":["exp"]})",
                             R"({"alg":"HS256"} trailing)", "{\"alg\":\"HS256\",\"x\":\"\xff\"}"}) {
    EXPECT_EQ(outcome(verifier, token_with_header(header)), "malformed") << header;
  }
}

TEST(Jwt, MalformedPayload) {
  const auth::JwtVerifier verifier(hs_config());
  const std::string header = encode_part(json::object{{"alg", "HS256"}});
  for (const char* payload : {"not json", "[1,2]", "42", "null", R"({"exp":1)"}) {
    const std::string input = header + "." + b64url(payload);
    EXPECT_EQ(outcome(verifier, input + "." + b64url(hmac(kSecret, input))), "malformed")
        << payload;
  }
}

TEST(Jwt, SizeLimit) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["pad"] = std::string(5000, 'x');
  const std::string fits = hs256_token(payload);
  ASSERT_LT(fits.size(), 8192u);
  EXPECT_EQ(outcome(verifier, fits), "ok");

  payload["pad"] = std::string(9 * 1024, 'x');
  const std::string too_large = hs256_token(payload);
  ASSERT_GT(too_large.size(), 9000u);
  EXPECT_EQ(outcome(verifier, too_large), "malformed");
  EXPECT_EQ(outcome(verifier, std::string(9 * 1024, 'A')), "malformed");
}

TEST(Jwt, DeeplyNestedJsonIsRefused) {
  const auth::JwtVerifier verifier(hs_config());
  std::string nested =
      "{\"sub\":\"1\",\"exp\":" + std::to_string(kNowS + 60) + ",\"iss\":\"reportd\",\"x\":";
  nested += std::string(2000, '[') + std::string(2000, ']') + "}";
  const std::string input = encode_part(json::object{{"alg", "HS256"}}) + "." + b64url(nested);
  EXPECT_EQ(outcome(verifier, input + "." + b64url(hmac(kSecret, input))), "malformed");
}

// ---- configuration ----------------------------------------------------------------------------

TEST(JwtConfig, VerifierRefusesConfigurationsThatCannotWork) {
  const auto throws = [](auth::JwtConfig config) {
    EXPECT_THROW(auth::JwtVerifier{std::move(config)}, std::invalid_argument);
  };
  auto none = hs_config();
  none.algorithms.clear();
  throws(none);

  auto no_secret = hs_config();
  no_secret.hs256_secret.clear();
  throws(no_secret);

  throws(key_config(auth::JwtAlgorithm::rs256, keys().ec.get()));
  throws(key_config(auth::JwtAlgorithm::rs256, keys().rsa_small.get()));
  throws(key_config(auth::JwtAlgorithm::rs256, keys().ed25519.get()));
  throws(key_config(auth::JwtAlgorithm::es256, keys().rsa.get()));
  throws(key_config(auth::JwtAlgorithm::es256, keys().ec384.get()));
  throws(key_config(auth::JwtAlgorithm::es256, keys().ed25519.get()));

  auto no_key = key_config(auth::JwtAlgorithm::rs256, keys().rsa.get());
  no_key.public_key_pem.clear();
  throws(no_key);
  auto garbage = no_key;
  garbage.public_key_pem = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
  throws(garbage);
  auto private_key = no_key;
  private_key.public_key_pem = private_pem(keys().rsa.get());
  throws(private_key);

  auto both = key_config(auth::JwtAlgorithm::rs256, keys().rsa.get());
  both.algorithms.push_back(auth::JwtAlgorithm::es256);
  throws(both);

  // A key is not needed, and not looked at, for HS256 alone.
  auto hs = hs_config();
  hs.public_key_pem = "whatever";
  EXPECT_NO_THROW(auth::JwtVerifier{hs});
}

TEST(JwtConfig, IssuerNeedsSecretAndLifetime) {
  auto config = hs_config();
  config.hs256_secret.clear();
  EXPECT_THROW(auth::JwtIssuer{config}, std::invalid_argument);
  config = hs_config();
  config.lifetime = 0s;
  EXPECT_THROW(auth::JwtIssuer{config}, std::invalid_argument);
}

TEST(JwtConfig, VerifierCanBeMoved) {
  auth::JwtVerifier original(key_config(auth::JwtAlgorithm::es256, keys().ec.get()));
  const auth::JwtVerifier moved(std::move(original));
  EXPECT_EQ(outcome(moved, es256_token(claims(), keys().ec.get())), "ok");
}

}  // namespace

TEST(Jwt, RefusalsAreErrorCodesThatCompareToTheirCondition) {
  const auth::JwtVerifier verifier(hs_config());
  auto payload = claims();
  payload["exp"] = 1;
  const auto expired = verifier.verify(hs256_token(payload), kNow);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), auth::JwtError::expired);
  EXPECT_EQ(expired.error(), auth::JwtCondition::expired);
  EXPECT_NE(expired.error(), auth::JwtCondition::malformed);
  EXPECT_EQ(expired.error().message(), "token has expired");
  EXPECT_EQ(expired.error().category().name(), std::string("jwt"));

  payload.erase("exp");
  const auto missing = verifier.verify(hs256_token(payload), kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), auth::JwtError::exp_missing);
  EXPECT_EQ(missing.error(), auth::JwtCondition::missing_claim);

  const auto garbage = verifier.verify("not a token", kNow);
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error(), auth::JwtCondition::malformed);
  EXPECT_EQ(garbage.error().message(), "a token has three dot-separated parts");
}
