// reportd: the report service. `reportd serve` (the default) runs it; `migrate`, `user add` and
// `token` are the operator's tools. Configuration: see config.hpp and the README.

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <iostream>
#include <thread>

#include "api/rest_api.hpp"
#include "app/cluster_state.hpp"
#include "app/config.hpp"
#include "app/metrics.hpp"
#include "app/operations.hpp"
#include "app/version.hpp"
#include "base/random.hpp"
#include "engineio/server.hpp"
#include "engineio/shutdown.hpp"
#include "live/access_watch.hpp"
#include "live/comment_broadcaster.hpp"
#include "live/internal_channel.hpp"
#include "live/stored_sessions.hpp"
#include "net/fd_limit.hpp"
#include "net/http_server.hpp"
#include "net/log.hpp"
#include "net/router.hpp"
#include "net/runtime.hpp"
#include "net/static_files.hpp"
#include "redis/endpoint.hpp"
#include "service/report_service.hpp"
#include "socketio/redis_adapter.hpp"
#include "socketio/server.hpp"

namespace {

// Everything the commands share: the store and the services around it.
struct Core {
  Core(const app::Config& config, service::CommentEmitter& emitter,
       service::Observer& observer = service::Observer::none(),
       std::unique_ptr<auth::LoginLimiter> login_limiter = std::make_unique<auth::LoginLimiter>())
      : store(store::open_store(config.database_url, {config.database_pool_size})),
        jwt(config.jwt()),
        verifier(jwt),
        issuer(jwt),
        limiter(std::move(login_limiter)),
        auth(*store, verifier, issuer, *limiter, observer),
        users(*store),
        reports(*store, emitter, {}, observer) {}

  std::unique_ptr<store::Store> store;
  auth::JwtConfig jwt;
  auth::JwtVerifier verifier;
  auth::JwtIssuer issuer;
  std::unique_ptr<auth::LoginLimiter> limiter;
  service::AuthService auth;
  service::UserAdmin users;
  service::ReportService reports;
};

// For commands that emit nothing.
struct NoEmitter : service::CommentEmitter {
  void comment_created(const store::Comment&) override {}
};

void create_demo_data(Core& core, unsigned short port) {
  if (core.store->count_users() > 0) {
    std::cout << "\nThe database has users already: the demo passwords were printed when it was "
                 "created. For fresh demo data, stop reportd and remove ./data.\n\n"
              << std::flush;
    return;
  }
  const auto admin_password = base::random_token(9);
  const auto operator_password = base::random_token(9);
  const auto citizen_password = base::random_token(9);
  core.users.add_user({"admin", admin_password, "admin", true});
  core.users.add_user({"operator", operator_password, "operator", true});
  auto citizen = core.users.add_user({"citizen", citizen_password, "citizen", false});
  auto report = core.reports.create_report(
      citizen, {.title = "Broken street light",
                .description = "The light at Via Roma 12 has been off for a week.",
                .category = "lighting",
                .latitude = 41.9028,
                .longitude = 12.4964});
  std::cout << "\nDemo data created:\n"
            << "  admin          admin / " << admin_password << "\n"
            << "  internal user  operator / " << operator_password << "\n"
            << "  citizen        citizen / " << citizen_password << "\n"
            << "  report         #" << report.id << " \"" << report.title << "\"\n\n"
            << "Staff console: http://localhost:" << port
            << "/ (sign in as operator, or as citizen)\n\n"
            << "Watch live comments on report " << report.id << " (terminal 1):\n"
            << "  TOKEN=$(curl -s -X POST http://localhost:" << port
            << "/api/auth/login -H 'Content-Type: application/json' -d "
               "'{\"username\":\"operator\",\"password\":\""
            << operator_password
            << "\"}' | node -pe 'JSON.parse(require(\"fs\").readFileSync(0)).token')\n"
            << "  scripts/watch-report " << report.id << " \"$TOKEN\"\n"
            << "Post one (terminal 2, same TOKEN):\n"
            << "  curl -s -X POST http://localhost:" << port << "/api/reports/" << report.id
            << "/comments -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
               "-d '{\"comment\":\"On my way\"}'\n\n"
            << std::flush;
}

engineio::ServerOptions engine_options(const app::Config& config) {
  engineio::ServerOptions options;
  options.path =
      config.socketio_path.ends_with('/') ? config.socketio_path : config.socketio_path + '/';
  options.ping_interval = std::chrono::milliseconds(config.ping_interval_ms);
  options.ping_timeout = std::chrono::milliseconds(config.ping_timeout_ms);
  options.max_payload = config.max_http_buffer_size;
  options.upgrade_timeout = std::chrono::milliseconds(config.upgrade_timeout_ms);
  const auto allowed = [&](std::string_view name) {
    return std::find(config.transports.begin(), config.transports.end(), name) !=
           config.transports.end();
  };
  options.transports = {.polling = allowed("polling"), .websocket = allowed("websocket")};
  options.max_sessions_per_address = config.max_sessions_per_address;
  return options;
}

int serve(const app::Config& config) {
  // First: a console folder that cannot be served stops the start before anything runs.
  const auto console = config.console_dir.empty() ? nullptr : app::load_console(config.console_dir);
  // Next, so that it outlives everything that reports to it.
  app::Metrics metrics({.version = app::kVersion, .commit = app::kCommit});
  net::raise_open_file_limit();
  net::IoContext ioc;
  const unsigned cores = net::default_io_threads();
  boost::asio::thread_pool workers(config.worker_threads ? config.worker_threads
                                                         : std::max(2u, cores));

  auto engine_settings = engine_options(config);
  const std::chrono::milliseconds shutdown_grace(config.shutdown_grace_ms);
  // A peer that never answers our close frame is dropped while the shutdown still waits, so
  // that the shutdown ends drained instead of running out its grace period.
  engine_settings.websocket_handshake_timeout =
      std::min(engine_settings.websocket_handshake_timeout, shutdown_grace / 2);
  engineio::Server engine(ioc, engine_settings);
  engine.set_observer(metrics);
  app::ClusterState cluster(config, ioc);
  cluster.share_address_cap(engine);
  // maxHttpBufferSize bounds binary attachments too, as in Node, where it is the only limit.
  socketio::Server io(engine,
                      {.connect_timeout = std::chrono::milliseconds(config.connect_timeout_ms),
                       .max_attachment_bytes = config.max_http_buffer_size});
  io.set_observer(metrics);
  auto& internal = io.of(live::kInternalNamespace);
  // With Redis, broadcasts reach the room's members on every node (Node.js nodes included).
  socketio::RedisAdapter* redis_adapter = nullptr;
  if (!config.redis_url.empty()) {
    auto adapter = std::make_unique<socketio::RedisAdapter>(
        ioc, redis::parse_url(config.redis_url), internal.name(),
        socketio::RedisAdapterOptions{.key = config.redis_prefix});
    redis_adapter = adapter.get();
    internal.set_adapter(std::move(adapter));
  }
  live::CommentBroadcaster broadcaster(internal);
  Core core(config, broadcaster, metrics, cluster.make_login_limiter());
  live::AccessWatch access(core.auth, workers,
                           {.recheck_interval = std::chrono::seconds(config.user_recheck_seconds)});
  live::Presence presence(internal, workers, {.cluster_wide = redis_adapter != nullptr});
  live::InternalChannel channel(internal, core.auth, core.reports, workers, access, presence);
  access.start();
  std::shared_ptr<live::StoredSessions> sessions;
  if (config.recovery_seconds > 0) {
    sessions = std::make_shared<live::StoredSessions>(
        *core.store, workers,
        live::StoredSessions::Options{.window = std::chrono::seconds(config.recovery_seconds)});
    internal.enable_recovery(sessions);
    sessions->start();
  }
  if (config.demo) create_demo_data(core, config.port);

  api::RestApi rest(core.auth, core.users, core.reports, workers, metrics);
  app::OperationsHandler operations(
      *core.store, workers,
      {.engineio_sessions = [&] { return engine.session_count(); },
       .websockets = [] { return net::live_websocket_count(); },
       .live_sockets = [&] { return internal.socket_count(); },
       .redis_ready =
           redis_adapter ? std::function<bool()>([redis_adapter] { return redis_adapter->ready(); })
                         : nullptr,
       .redis_publish_failures = redis_adapter ? std::function<std::uint64_t()>([redis_adapter] {
         return redis_adapter->publish_failures();
       })
                                               : nullptr},
      metrics);
  net::Router router(api::RestApi::kMaxBodyBytes);
  router.add(engine.options().path, engine);
  router.add("/api/", rest);
  router.add("/healthz", operations);
  router.add("/readyz", operations);
  router.add("/metrics", operations);
  // Last: the console answers every path that no route above took (404 for unknown ones).
  if (console) router.add("/", *console);

  net::HttpServerOptions http;
  http.cors = net::CorsPolicy::from_list(config.cors_origins);
  http.trusted_proxies = net::TrustedProxies::from_list(config.trusted_proxies);
  net::HttpServer server(ioc, std::move(http), router);
  const auto port = server.listen(config.host, config.port);
  const unsigned threads = config.io_threads ? config.io_threads : cores;
  net::log_event(net::LogLevel::info, "listening",
                 {{"url", "http://localhost:" + std::to_string(port)},
                  {"database", store::redact_database_url(config.database_url)},
                  {"redis", redis_adapter ? "on" : "off"},
                  {"io_threads", std::to_string(threads)},
                  {"console", console ? config.console_dir : std::string("off")}});

  // Shutdown also waits for REST requests in progress: a comment committed during shutdown is
  // still answered (and announced) before the process exits, and its broadcast taken by Redis
  // for the other nodes.
  auto plan = engineio::shutdown_plan(server, engine);
  plan.grace = shutdown_grace;
  plan.drained = [&, sessions_gone = plan.drained] {
    return sessions_gone() && rest.in_flight() == 0 &&
           (redis_adapter == nullptr || redis_adapter->settled());
  };
  net::run_until_signalled(ioc, threads, std::move(plan));
  // The order matters: both pools stop, then every socket still held by a pending handler is
  // dropped while the worker pool its strands belong to (and everything else) still exists;
  // only then are the objects destroyed, in reverse order of construction.
  access.stop();
  presence.stop();
  channel.stop();
  if (sessions) sessions->stop();
  if (redis_adapter) redis_adapter->stop();
  cluster.stop();
  workers.join();
  core.reports.stop_comment_writer();  // its completions use `rest`, destroyed before `core`
  ioc.discard_pending_handlers();
  net::log_event(net::LogLevel::info, "stopped", {});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"reportd: the report service"};
  cli.set_version_flag("--version",
                       fmt::format("reportd {} (commit {})", app::kVersion, app::kCommit));
  app::Config config;
  config.bind(cli);
  cli.require_subcommand(0, 1);
  cli.fallthrough();  // global options may also follow the subcommand

  auto* serve_cmd = cli.add_subcommand("serve", "run the service (the default)");
  serve_cmd->add_flag("--demo", config.demo, "create demo users and a report in an empty database");
  auto* migrate_cmd = cli.add_subcommand("migrate", "bring the database schema up to date");
  auto* config_cmd = cli.add_subcommand(
      "config", "print the effective configuration and where each value came from");

  auto* user_cmd = cli.add_subcommand("user", "manage users");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add", "create a user; the password comes on stdin");
  std::string username, role;
  bool internal = false, password_stdin = false;
  user_add->add_option("--username", username)->required();
  user_add->add_option("--role", role, "citizen, operator or admin (an admin is --internal)")
      ->required();
  user_add->add_flag("--internal", internal, "municipal staff");
  user_add->add_flag("--password-stdin", password_stdin, "read the password from stdin")
      ->required();

  std::string access_user;
  auto* user_deactivate = user_cmd->add_subcommand(
      "deactivate", "withdraw a user's access: tokens refused, live connections ended");
  user_deactivate->add_option("--username", access_user)->required();
  auto* user_activate = user_cmd->add_subcommand("activate", "give a user their access back");
  user_activate->add_option("--username", access_user)->required();

  auto* token_cmd = cli.add_subcommand("token", "print a token for a user (for scripts)");
  std::string token_user;
  token_cmd->add_option("--username", token_user)->required();

  CLI11_PARSE(cli, argc, argv);
  try {
    config.apply_file(cli);
  } catch (const CLI::Error& e) {
    return cli.exit(e);
  }
  config.install_logging();

  try {
    if (*config_cmd) {
      std::cout << config.describe(cli);
      return 0;
    }
    if (*migrate_cmd) {
      store::open_store(config.database_url, {config.database_pool_size});
      net::log_event(net::LogLevel::info, "migrated",
                     {{"database", store::redact_database_url(config.database_url)}});
      return 0;
    }
    if (*user_add) {
      std::string password;
      std::getline(std::cin, password);
      NoEmitter none;
      Core core(config, none);
      auto user = core.users.add_user({username, password, role, internal});
      std::cout << "created user " << user.id << " (" << user.username << ")\n";
      return 0;
    }
    if (*user_deactivate || *user_activate) {
      NoEmitter none;
      Core core(config, none);
      const bool active = static_cast<bool>(*user_activate);
      service::AccountChanges changes;
      changes.active = active;
      auto user = core.users.change_user(access_user, changes);
      std::cout << (active ? "activated" : "deactivated") << " user " << user.id << " ("
                << user.username << ")\n";
      return 0;
    }
    if (*token_cmd) {
      NoEmitter none;
      Core core(config, none);
      auto user = core.store->find_user_by_name(token_user);
      if (!user) throw std::invalid_argument("no such user: " + token_user);
      std::cout << core.issuer.issue(user->id, user->role, user->internal,
                                     std::chrono::system_clock::now())
                << "\n";
      return 0;
    }
    return serve(config);
  } catch (const service::Error& e) {
    net::log_event(net::LogLevel::error, "command_failed",
                   {{"code", e.code()}, {"error", e.what()}});
    return 1;
  } catch (const std::exception& e) {
    net::log_event(net::LogLevel::error, "command_failed", {{"error", e.what()}});
    return 1;
  }
}
