#pragma once
// The REST API as the server runs it (RestApi, ReportService, the comment writer), over a store
// that keeps nothing, so that fuzz targets can send it requests without a socket or a database.
// Every request carries the bearer token of an internal user, so that it gets past
// authentication to the body and the query.

#include <string>

#include "net/http_message.hpp"

namespace fuzz {

// Sends one request and waits for its response.
net::HttpResponse send_rest_request(std::string method, std::string target,
                                    std::string content_type, std::string body);

// What every response must be: no internal error, and a JSON body.
void check_rest_response(const net::HttpResponse& response);

}  // namespace fuzz
