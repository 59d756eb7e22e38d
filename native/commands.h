// The subcommands of the pix2pix program. Each takes the arguments after its name and returns the
// process exit code; errors are printed as one line "pix2pix <cmd>: <reason>".
#pragma once
#include <string>
#include <vector>

namespace p2p {

using Args = std::vector<std::string>;

int cmd_info(const Args& args);
int cmd_import(const Args& args);
int cmd_run(const Args& args);
int cmd_export(const Args& args);
int cmd_combine(const Args& args);
int cmd_edges(const Args& args);
int cmd_train(const Args& args);
int cmd_test(const Args& args);
int cmd_stylize(const Args& args);
int cmd_train_style(const Args& args);

}  // namespace p2p
