#pragma once
// The OpenAPI 3.1 description of the REST API: src/api/openapi.json, built into the binary
// (openapi_document.cpp is generated from it by embed_json.cmake, which also checks that it is
// valid JSON), served at GET /api/openapi.json.

#include <string_view>

namespace api {

std::string_view openapi_document();

}  // namespace api
