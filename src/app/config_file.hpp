#pragma once
// The configuration file (`--config FILE`, TOML or INI as CLI11 reads them) and the effective
// configuration that `reportd config` prints.
//
// A setting is a top-level CLI11 option with an environment name (config.cpp): whatever option is
// added there is a setting here too, with no list to keep. The precedence is file < environment <
// flag. CLI11 itself would apply a file before the environment (and so let it win), so the file
// is read with CLI11's parser but applied here, after CLI11 has parsed the flags and the
// environment, to the settings that neither gave.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace app {

enum class Source { default_value, file, environment, flag };

const char* to_string(Source source);

// The settings of `cli`: its own options (not its subcommands') that have an environment name
// and may come from a file.
std::vector<CLI::Option*> settings(CLI::App& cli);

// Applies the file at `path` (INI when it ends in ".ini", TOML otherwise) to the settings of
// `cli` (already parsed) that were given neither as a flag nor in the environment, running each
// setting's checks. Keys are the long flags without "--" ("ping-interval-ms"; "ping_interval_ms"
// too). Throws CLI::ConfigError naming the file and the setting for an unreadable file, an
// unknown key, a section, or a value the setting refuses.
void apply_config_file(CLI::App& cli, const std::string& path);

struct EffectiveSetting {
  std::string name;     // the long flag without "--"
  std::string envname;  // its environment variable
  std::string value;    // as given, or the default; URL passwords replaced by "***"
  Source source;
};

// Every setting of `cli` after parsing (and apply_config_file), in the order they were added.
std::vector<EffectiveSetting> effective_settings(CLI::App& cli);

// `settings` as a TOML file that reads back into the same configuration, each line commented
// with where its value came from.
std::string format_settings(const std::vector<EffectiveSetting>& settings);

}  // namespace app
