#pragma once
// JSON Web Tokens: verification of HS256, RS256 and ES256 tokens and issuance of HS256 ones.
// The accepted algorithms come from configuration only; the token's "alg" header must be one of
// them and selects nothing else. "none" is never accepted.

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_error.hpp"

namespace auth {

enum class JwtAlgorithm { hs256, rs256, es256 };
// The name in a token's "alg" header and in configuration (RFC 7518 §3.1): "HS256"...
std::string_view algorithm_name(JwtAlgorithm algorithm);
// nullopt for a name we do not implement, "none" among them.
std::optional<JwtAlgorithm> algorithm_named(std::string_view name);

struct JwtConfig {
  std::string hs256_secret;    // the HMAC secret; required for HS256 (verifying and issuing)
  std::string public_key_pem;  // an RSA (RS256) or EC P-256 (ES256) public key, PEM
  std::vector<JwtAlgorithm> algorithms = {JwtAlgorithm::hs256};
  std::string issuer = "reportd";       // put in issued tokens; checked on verify when non-empty
  std::string audience;                 // checked on verify when non-empty
  std::chrono::seconds leeway{30};      // tolerance for exp and nbf
  std::chrono::seconds lifetime{3600};  // of issued tokens
};

struct Claims {
  std::int64_t user_id = 0;  // from "sub" (a decimal string, or an integer)
  std::string role;
  bool internal = false;
  std::chrono::sys_seconds issued_at{};
  std::chrono::sys_seconds expires_at{};
  boost::json::object all;  // every claim, as sent
};

// The algorithm that a PEM public key serves: RS256 for an RSA key of at least 2048 bits, ES256
// for an EC P-256 key; nullopt for anything else.
std::optional<JwtAlgorithm> algorithm_for_public_key(const std::string& pem);

class JwtVerifier {
 public:
  // Throws std::invalid_argument when the configuration cannot work (e.g. RS256 enabled without
  // a usable RSA public key of at least 2048 bits, ES256 without an EC P-256 one, RS256 and ES256
  // both enabled (there is one key), HS256 without a secret, no algorithm at all).
  explicit JwtVerifier(JwtConfig config);
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;

  // The token's claims, or why it is refused (a JwtError; compare with a JwtCondition).
  boost::system::result<Claims> verify(std::string_view token,
                                       std::chrono::system_clock::time_point now) const;

 private:
  bool signature_matches(JwtAlgorithm algorithm, std::string_view signing_input,
                         std::string_view signature) const;
  boost::system::result<Claims> read_claims(boost::json::object payload,
                                            std::chrono::system_clock::time_point now) const;

  struct Keys;
  JwtConfig config_;
  std::unique_ptr<Keys> keys_;
};

class JwtIssuer {
 public:
  // Throws std::invalid_argument without an HS256 secret or with a lifetime that is not positive.
  explicit JwtIssuer(JwtConfig config);
  // An HS256 token with sub, role, internal, iat, exp and iss (when configured), and aud when an
  // audience is configured, so that a verifier with the same configuration accepts it.
  std::string issue(std::int64_t user_id, std::string_view role, bool internal,
                    std::chrono::system_clock::time_point now) const;

 private:
  JwtConfig config_;
};

}  // namespace auth
