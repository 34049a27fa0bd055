// reportd's configuration: the config file, its precedence below the environment and the flags,
// and the effective configuration that `reportd config` prints. Runs app::Config::bind on a real
// CLI11 app with real files and a controlled environment.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/config_file.hpp"
#include "temp_dir.hpp"

namespace {

using app::Source;

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    config_.bind(cli_);
    cli_.fallthrough();
    cli_.add_subcommand("config", "print it");
    // The test's own environment only: every setting's variable is unset, then restored.
    for (auto* option : app::settings(cli_)) clear(option->get_envname());
    clear("REPORTD_CONFIG");
    clear("JWT_SECRET");
  }
  ~ConfigTest() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }

  void clear(const std::string& name) { set_env(name, std::nullopt); }
  void set_env(const std::string& name, std::optional<std::string> value) {
    const char* old = std::getenv(name.c_str());
    if (!saved_.contains(name)) {
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      setenv(name.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name.c_str());
    }
  }

  std::string write(const std::string& name, const std::string& content) {
    const auto path = (dir_.path() / name).string();
    std::ofstream(path) << content;
    return path;
  }

  // Parses `args` as the command line, then applies the file as main() does.
  void parse(std::vector<std::string> args) {
    args.insert(args.begin(), "reportd");
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    cli_.parse(static_cast<int>(argv.size()), argv.data());
    config_.apply_file(cli_);
  }

  // The message of the CLI11 error that parse() throws, or a failure.
  std::string refusal(std::vector<std::string> args) {
    try {
      parse(std::move(args));
    } catch (const CLI::Error& e) {
      EXPECT_NE(e.get_exit_code(), 0);
      return e.what();
    }
    ADD_FAILURE() << "accepted";
    return {};
  }

  app::EffectiveSetting setting(const std::string& name) {
    for (auto& setting : app::effective_settings(cli_)) {
      if (setting.name == name) return setting;
    }
    ADD_FAILURE() << "no setting " << name;
    return {};
  }

  TempDir dir_{"reportd_config"};
  std::map<std::string, std::optional<std::string>> saved_;
  CLI::App cli_{"test"};
  app::Config config_;
};

TEST_F(ConfigTest, EveryOptionWithAnEnvironmentNameIsASetting) {
  std::vector<std::string> names;
  for (auto* option : app::settings(cli_)) names.push_back(option->get_single_name());
  for (const char* expected : {"port", "database-url", "ping-interval-ms", "transports",
                               "socketio-path", "shutdown-grace-ms", "io-threads"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "config"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "help"), names.end());
}

TEST_F(ConfigTest, WithoutAFileEverySettingHasItsDefault) {
  parse({});
  EXPECT_EQ(config_.port, 3000);
  const auto port = setting("port");
  EXPECT_EQ(port.value, "3000");
  EXPECT_EQ(port.source, Source::default_value);
  EXPECT_EQ(port.envname, "PORT");
  EXPECT_EQ(setting("transports").value, "polling,websocket");
}

TEST_F(ConfigTest, FileBelowEnvironmentBelowFlags) {
  const auto file = write("reportd.toml",
                          "# a comment\nport = 3100\nping-interval-ms = 1500\nio-threads = 3\n"
                          "host = \"127.0.0.2\"\n");
  set_env("PORT", "3200");
  set_env("PING_INTERVAL_MS", "1600");
  set_env("HOST", "127.0.0.3");
  parse({"--config", file, "--port", "3300"});

  EXPECT_EQ(config_.port, 3300);
  EXPECT_EQ(setting("port").source, Source::flag);
  EXPECT_EQ(config_.ping_interval_ms, 1600);
  EXPECT_EQ(setting("ping-interval-ms").source, Source::environment);
  EXPECT_EQ(config_.host, "127.0.0.3");
  EXPECT_EQ(config_.io_threads, 3u);
  EXPECT_EQ(setting("io-threads").source, Source::file);
  EXPECT_EQ(setting("io-threads").value, "3");
  EXPECT_EQ(setting("worker-threads").source, Source::default_value);
}

TEST_F(ConfigTest, FileFromTheEnvironmentAndFlagsAfterTheSubcommand) {
  set_env("REPORTD_CONFIG", write("reportd.toml", "port = 3100\nupgrade_timeout_ms = 2500\n"));
  parse({"config", "--ping-timeout-ms", "900"});
  EXPECT_EQ(config_.port, 3100);
  EXPECT_EQ(config_.upgrade_timeout_ms, 2500) << "the underscore form of a key";
  EXPECT_EQ(config_.ping_timeout_ms, 900);
  EXPECT_EQ(setting("ping-timeout-ms").source, Source::flag);
  EXPECT_EQ(setting("port").source, Source::file);
}

TEST_F(ConfigTest, IniFile) {
  parse({"--config", write("reportd.ini", "; a comment\nport=3101\ntransports=websocket\n")});
  EXPECT_EQ(config_.port, 3101);
  EXPECT_EQ(config_.transports, std::vector<std::string>{"websocket"});
}

TEST_F(ConfigTest, TransportsAsATomlArrayOrAList) {
  parse({"--config", write("a.toml", "transports = [\"polling\"]\n")});
  EXPECT_EQ(config_.transports, std::vector<std::string>{"polling"});
  EXPECT_EQ(setting("transports").value, "polling");
}

TEST_F(ConfigTest, TransportsFromTheEnvironmentAsACommaSeparatedList) {
  set_env("TRANSPORTS", "websocket,polling");
  parse({});
  EXPECT_EQ(config_.transports, (std::vector<std::string>{"websocket", "polling"}));
}

TEST_F(ConfigTest, UnknownKeyIsRefusedNamingTheKeyAndTheFile) {
  const auto file = write("bad.toml", "port = 3100\npingInterval = 1000\n");
  const auto message = refusal({"--config", file});
  EXPECT_NE(message.find("\"pingInterval\""), std::string::npos) << message;
  EXPECT_NE(message.find(file), std::string::npos) << message;
}

TEST_F(ConfigTest, WhatIsNoSettingIsRefusedFromAFile) {
  for (const char* line :
       {"jwt-secret = \"0123456789abcdef0123456789abcdef\"\n", "config = \"other.toml\"\n",
        "help = true\n", "[socketio]\nport = 1\n"}) {
    SCOPED_TRACE(line);
    CLI::App cli{"test"};
    app::Config config;
    config.bind(cli);
    const auto file = write("bad.toml", line);
    std::vector<const char*> argv{"reportd", "--config", file.c_str()};
    cli.parse(3, argv.data());
    try {
      config.apply_file(cli);
      ADD_FAILURE() << "accepted";
    } catch (const CLI::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("unknown setting"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(config.jwt_secret.empty());
  }
}

TEST_F(ConfigTest, OutOfRangeValueIsRefusedNamingTheSettingAndTheFile) {
  const auto file = write("bad.toml", "ping-interval-ms = 5\n");
  const auto message = refusal({"--config", file});
  EXPECT_NE(message.find("ping-interval-ms"), std::string::npos) << message;
  EXPECT_NE(message.find(file), std::string::npos) << message;
}

TEST_F(ConfigTest, MalformedValuesAreRefused) {
  for (const char* line :
       {"port = \"3k\"\n", "port = 70000\n", "transports = \"flashsocket\"\n",
        "socketio-path = \"/api/\"\n", "socketio-path = \"relative\"\n", "io-threads = -1\n",
        "shutdown-grace-ms = 600001\n", "port = 3001\nport = 3002\n", "port = 3001\nport_ = 1\n"}) {
    SCOPED_TRACE(line);
    CLI::App cli{"test"};
    app::Config config;
    config.bind(cli);
    const auto file = write("bad.toml", line);
    std::vector<const char*> argv{"reportd", "--config", file.c_str()};
    cli.parse(3, argv.data());
    EXPECT_THROW(config.apply_file(cli), CLI::ConfigError);
  }
}

TEST_F(ConfigTest, MissingFileIsRefusedNamingIt) {
  const auto message = refusal({"--config", "/nonexistent/reportd.toml"});
  EXPECT_NE(message.find("/nonexistent/reportd.toml"), std::string::npos) << message;
}

TEST_F(ConfigTest, PortOutOfRangeInTheEnvironmentIsRefused) {
  set_env("PORT", "70000");
  const auto message = refusal({});
  EXPECT_NE(message.find("70000"), std::string::npos) << message;
}

TEST_F(ConfigTest, DescribeMasksSecretsAndReadsBackAsAFile) {
  set_env("DATABASE_URL", "postgres://reportd:hunter2pass@db.example/reportd");
  set_env("REDIS_URL", "redis://:redispass@cache.example:6379/0");
  set_env("JWT_SECRET", "0123456789abcdef0123456789abcdef-hushhush");
  CLI::App cli{"test"};
  app::Config config;
  config.bind(cli);
  std::vector<const char*> argv{"reportd", "--port", "3300"};
  cli.parse(3, argv.data());
  const auto text = config.describe(cli);
  EXPECT_EQ(text.find("hunter2pass"), std::string::npos) << text;
  EXPECT_EQ(text.find("redispass"), std::string::npos) << text;
  EXPECT_EQ(text.find("hushhush"), std::string::npos) << text;
  EXPECT_NE(text.find("database-url = \"postgres://reportd:***@db.example/reportd\"  # environment "
                      "(DATABASE_URL)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("port = 3300  # flag (PORT)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# jwt-secret = \"***\""), std::string::npos) << text;

  // What it prints is a config file that gives the same values (passwords aside).
  unsetenv("DATABASE_URL");
  unsetenv("REDIS_URL");
  parse({"--config", write("described.toml", text)});
  EXPECT_EQ(config_.port, 3300);
  EXPECT_EQ(setting("port").source, Source::file);
  EXPECT_EQ(config_.transports, (std::vector<std::string>{"polling", "websocket"}));
}

}  // namespace
