#include "auth/jwt_error.hpp"

#include "base/error_category.hpp"

namespace auth {
namespace {

JwtCondition condition_of(JwtError e) {
  switch (e) {
    case JwtError::algorithm_not_allowed:
      return JwtCondition::algorithm_not_allowed;
    case JwtError::bad_signature:
      return JwtCondition::bad_signature;
    case JwtError::expired:
      return JwtCondition::expired;
    case JwtError::not_yet_valid:
      return JwtCondition::not_yet_valid;
    case JwtError::wrong_issuer:
      return JwtCondition::wrong_issuer;
    case JwtError::aud_unexpected:
    case JwtError::wrong_audience:
      return JwtCondition::wrong_audience;
    case JwtError::exp_missing:
    case JwtError::sub_missing:
    case JwtError::iss_missing:
    case JwtError::aud_missing:
      return JwtCondition::missing_claim;
    default:
      return JwtCondition::malformed;
  }
}

std::string_view describe(JwtError e) {
  switch (e) {
    case JwtError::empty_token:
      return "empty token";
    case JwtError::token_too_large:
      return "token too large";
    case JwtError::not_three_parts:
      return "a token has three dot-separated parts";
    case JwtError::empty_part:
      return "token header or payload is empty";
    case JwtError::header_not_base64url:
      return "header is not base64url";
    case JwtError::header_not_object:
      return "header is not a JSON object";
    case JwtError::header_without_alg:
      return "header has no \"alg\"";
    case JwtError::header_typ_not_jwt:
      return "header \"typ\" is not JWT";
    case JwtError::header_critical:
      return "header has critical extensions we do not understand";
    case JwtError::algorithm_not_allowed:
      return "token algorithm is not accepted";
    case JwtError::payload_not_base64url:
      return "payload is not base64url";
    case JwtError::signature_not_base64url:
      return "signature is not base64url";
    case JwtError::bad_signature:
      return "signature does not verify";
    case JwtError::payload_not_object:
      return "payload is not a JSON object";
    case JwtError::exp_missing:
      return "token has no \"exp\"";
    case JwtError::exp_invalid:
      return "\"exp\" is not a valid date";
    case JwtError::nbf_invalid:
      return "\"nbf\" is not a valid date";
    case JwtError::iat_invalid:
      return "\"iat\" is not a valid date";
    case JwtError::sub_missing:
      return "token has no \"sub\"";
    case JwtError::sub_invalid:
      return "\"sub\" is not a user id";
    case JwtError::role_not_string:
      return "\"role\" is not a string";
    case JwtError::internal_not_bool:
      return "\"internal\" is not a boolean";
    case JwtError::expired:
      return "token has expired";
    case JwtError::not_yet_valid:
      return "token is not valid yet";
    case JwtError::iss_missing:
      return "token has no \"iss\"";
    case JwtError::wrong_issuer:
      return "token is from another issuer";
    case JwtError::aud_unexpected:
      return "token names an audience and none is configured";
    case JwtError::aud_missing:
      return "token has no \"aud\"";
    case JwtError::aud_invalid:
      return "\"aud\" is neither a string nor an array of strings";
    case JwtError::wrong_audience:
      return "token is for another audience";
  }
  return "invalid token";
}

std::string_view describe(JwtCondition c) {
  switch (c) {
    case JwtCondition::malformed:
      return "malformed";
    case JwtCondition::algorithm_not_allowed:
      return "algorithm_not_allowed";
    case JwtCondition::bad_signature:
      return "bad_signature";
    case JwtCondition::expired:
      return "expired";
    case JwtCondition::not_yet_valid:
      return "not_yet_valid";
    case JwtCondition::wrong_issuer:
      return "wrong_issuer";
    case JwtCondition::wrong_audience:
      return "wrong_audience";
    case JwtCondition::missing_claim:
      return "missing_claim";
  }
  return "invalid";
}

boost::system::error_condition classify(JwtError e) {
  return make_error_condition(condition_of(e));
}

}  // namespace

const boost::system::error_category& jwt_error_category() {
  static const base::EnumErrorCategory<JwtError> category("jwt", describe, classify);
  return category;
}

const boost::system::error_category& jwt_condition_category() {
  static const base::EnumErrorCategory<JwtCondition> category("jwt-condition", describe);
  return category;
}

boost::system::error_code make_error_code(JwtError e) {
  return {static_cast<int>(e), jwt_error_category()};
}

boost::system::error_condition make_error_condition(JwtCondition c) {
  return {static_cast<int>(c), jwt_condition_category()};
}

}  // namespace auth
