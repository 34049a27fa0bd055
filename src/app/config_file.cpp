#include "app/config_file.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>

#include "store/store.hpp"

namespace app {
namespace {

bool is_setting(const CLI::Option* option) {
  return !option->get_envname().empty() && option->get_configurable();
}

bool in_environment(const CLI::Option& option) {
  const char* value = std::getenv(option.get_envname().c_str());
  return value != nullptr && *value != '\0';  // CLI11 ignores an empty variable too
}

bool given_as_flag(CLI::App& cli, const CLI::Option* option) {
  const auto& order = cli.parse_order();
  return std::find(order.begin(), order.end(), option) != order.end();
}

std::unique_ptr<CLI::Config> parser_for(const std::string& path) {
  if (path.ends_with(".ini")) return std::make_unique<CLI::ConfigINI>();
  return std::make_unique<CLI::ConfigTOML>();
}

CLI::ConfigError file_error(const std::string& path, const std::string& message) {
  return CLI::ConfigError("config file " + path + ": " + message);
}

CLI::Option* setting_named(CLI::App& cli, const CLI::ConfigItem& item, const std::string& path) {
  if (!item.parents.empty()) {
    throw file_error(path,
                     "unknown setting \"" + item.fullname() + "\" (settings have no sections)");
  }
  std::string name = item.name;
  std::replace(name.begin(), name.end(), '_', '-');
  auto* option = cli.get_option_no_throw("--" + name);
  if (option == nullptr || !is_setting(option)) {
    throw file_error(path, "unknown setting \"" + item.name + "\"");
  }
  return option;
}

// As CLI11 applies a file's item, with the setting's checks run now rather than skipped.
void apply_item(const CLI::Config& parser, CLI::Option& option, const CLI::ConfigItem& item) {
  if (option.get_expected_min() == 0) {
    option.add_result(option.get_flag_value(item.name, parser.to_flag(item)));
  } else {
    option.add_result(item.inputs);
  }
  option.run_callback();
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ",") + value;
  return out;
}

bool is_number(const std::string& value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string toml_value(const std::string& value) {
  if (is_number(value)) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace

const char* to_string(Source source) {
  switch (source) {
    case Source::default_value:
      return "default";
    case Source::file:
      return "file";
    case Source::environment:
      return "environment";
    case Source::flag:
      return "flag";
  }
  return "?";
}

std::vector<CLI::Option*> settings(CLI::App& cli) {
  return cli.get_options(is_setting);
}

void apply_config_file(CLI::App& cli, const std::string& path) {
  const auto parser = parser_for(path);
  std::vector<CLI::ConfigItem> items;
  try {
    items = parser->from_file(path);
  } catch (const CLI::Error& e) {
    throw file_error(path, e.what());
  }
  std::set<const CLI::Option*> seen;
  for (const auto& item : items) {
    auto* option = setting_named(cli, item, path);
    if (!seen.insert(option).second) {
      throw file_error(path, "setting \"" + item.name + "\" is given twice");
    }
    if (option->count() > 0) continue;  // a flag or the environment gave it: they win
    try {
      apply_item(*parser, *option, item);
    } catch (const CLI::Error& e) {
      throw file_error(path, "setting \"" + item.name + "\": " + e.what());
    }
  }
}

std::vector<EffectiveSetting> effective_settings(CLI::App& cli) {
  std::vector<EffectiveSetting> out;
  for (auto* option : settings(cli)) {
    EffectiveSetting setting{.name = option->get_single_name(),
                             .envname = option->get_envname(),
                             .value = option->get_default_str(),
                             .source = Source::default_value};
    if (option->count() > 0) {
      setting.value = joined(option->results());
      setting.source = given_as_flag(cli, option) ? Source::flag
                       : in_environment(*option)  ? Source::environment
                                                  : Source::file;
    }
    // One rule for every setting, so that a new URL setting is masked too.
    setting.value = store::redact_database_url(setting.value);
    out.push_back(std::move(setting));
  }
  return out;
}

std::string format_settings(const std::vector<EffectiveSetting>& settings) {
  std::string out;
  for (const auto& setting : settings) {
    out += setting.name + " = " + toml_value(setting.value) + "  # " + to_string(setting.source) +
           " (" + setting.envname + ")\n";
  }
  return out;
}

}  // namespace app
