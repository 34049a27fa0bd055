#pragma once
// The domain: who may do what with reports and internal comments. Blocking (it calls the
// store): call it from the worker pool. Knows nothing of HTTP or Socket.IO; new
// comments are announced through CommentEmitter once committed.

#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "service/comment_writer.hpp"
#include "service/errors.hpp"
#include "service/known_reports.hpp"
#include "store/store.hpp"

namespace service {

class CommentEmitter {
 public:
  virtual ~CommentEmitter() = default;
  // Called once per committed comment, in commit order.
  virtual void comment_created(const store::Comment& comment) = 0;
};

struct Limits {
  std::size_t max_comment_chars = 2000;
  std::size_t max_title_chars = 200;
  std::size_t max_description_chars = 5000;
  std::size_t max_category_chars = 100;
};

class ReportService {
 public:
  ReportService(store::Store& store, CommentEmitter& emitter, Limits limits = {},
                Observer& observer = Observer::none());

  store::Report create_report(const store::User& user, store::NewReport input);
  store::Report get_report(const store::User& user, std::int64_t id);
  store::Page<store::Report> list_reports(const store::User& user,
                                          std::optional<std::string> status,
                                          std::optional<std::int64_t> after, int limit);
  store::Report update_status(const store::User& user, std::int64_t id, const std::string& status);
  // Whether an internal user may follow this report live (it exists).
  void check_report_exists(std::int64_t id);

  // Checks the request here (throws Error), then hands it to the group-commit writer; `done`
  // runs once the comment is committed and announced, or refused.
  void create_comment_async(const store::User& user, std::int64_t report_id,
                            const std::string& text, CommentWriter::Done done);
  store::Page<store::Comment> list_comments(const store::User& user, std::int64_t report_id,
                                            std::optional<std::int64_t> after, int limit);

  // Writes the comments still waiting and stops the writer; call before whatever the
  // completions use goes away.
  void stop_comment_writer() { writer_.stop(); }

 private:
  store::Store& store_;
  Limits limits_;
  KnownReports known_reports_;
  // Commits comments in groups and announces them in commit order, on its own thread.
  CommentWriter writer_;
};

}  // namespace service
