# cmake -DINPUT=file.json -DOUTPUT=file.cpp -P embed_json.cmake
# Writes OUTPUT, which defines api::openapi_document() with INPUT's bytes, after checking that
# INPUT is valid JSON: a malformed document fails the build.
file(READ "${INPUT}" text)
string(JSON type ERROR_VARIABLE error TYPE "${text}")
if(error OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "${INPUT} is not a JSON object: ${error}")
endif()
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by embed_json.cmake: do not edit.\n"
  "#include \"api/openapi.hpp\"\n\n"
  "namespace api {\nnamespace {\nconstexpr char kDocument[] = {${bytes}};\n}  // namespace\n\n"
  "std::string_view openapi_document() { return {kDocument, sizeof kDocument}; }\n\n"
  "}  // namespace api\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
