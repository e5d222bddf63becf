// funnel-storm: entry point. Parses the command line and hands it to commands.cpp; everything
// else (containers, sampling, reports) lives in the funnel_storm libraries.
#include "storm/cli.hpp"
#include "storm/commands.hpp"

int main(int argc, char** argv) {
  const auto command = funnel::storm::parse_cli(argc, argv);
  if (command.mode == funnel::storm::CliCommand::Mode::kExit) return command.exit_code;
  return funnel::storm::execute(command);
}
