#pragma once
// What the application may want to count about the REST API (for metrics): every answered
// request. Called from RestApi::finished() once the response is written, on whichever thread
// wrote it, so an implementation must be thread-safe. The default does nothing.

#include <chrono>
#include <string_view>

namespace api {

// A request the REST API answered. The views are valid during the call only.
struct CompletedRequest {
  std::string_view method;  // as the client sent it
  std::string_view route;   // the routing table's pattern (e.g. "/api/reports/:id"), or
                            // RestApi::kUnmatchedRoute for a path that no route has
  unsigned status = 0;
  std::chrono::steady_clock::duration took{};  // from the request's arrival to its answer's end
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void request_completed(const CompletedRequest&) {}

  // The observer of an API that was given none.
  static Observer& none() {
    static Observer nothing;
    return nothing;
  }
};

}  // namespace api
