#pragma once
// Why a token was refused, as Beast does errors: a precise `JwtError` (its message says what was
// wrong, never quoting the token, so it may be shown to the client) and a coarse `JwtCondition`
// that callers and clients branch on (`error == JwtCondition::expired`).

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace auth {

enum class JwtError {
  empty_token = 1,
  token_too_large,
  not_three_parts,
  empty_part,
  header_not_base64url,
  header_not_object,
  header_without_alg,
  header_typ_not_jwt,
  header_critical,
  algorithm_not_allowed,
  payload_not_base64url,
  signature_not_base64url,
  bad_signature,
  payload_not_object,
  exp_missing,
  exp_invalid,
  nbf_invalid,
  iat_invalid,
  sub_missing,
  sub_invalid,
  role_not_string,
  internal_not_bool,
  expired,
  not_yet_valid,
  iss_missing,
  wrong_issuer,
  aud_unexpected,
  aud_missing,
  aud_invalid,
  wrong_audience,
};

enum class JwtCondition {
  malformed = 1,
  algorithm_not_allowed,
  bad_signature,
  expired,
  not_yet_valid,
  wrong_issuer,
  wrong_audience,
  missing_claim,  // exp, sub, and iss/aud when they are checked
};

const boost::system::error_category& jwt_error_category();
const boost::system::error_category& jwt_condition_category();
boost::system::error_code make_error_code(JwtError e);
boost::system::error_condition make_error_condition(JwtCondition c);

}  // namespace auth

template <>
struct boost::system::is_error_code_enum<auth::JwtError> : std::true_type {};
template <>
struct boost::system::is_error_condition_enum<auth::JwtCondition> : std::true_type {};
