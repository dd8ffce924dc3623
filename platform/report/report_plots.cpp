// SPDX-License-Identifier: Apache-2.0
#include "platform/report/report_plots.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "platform/config/cli.h"
#include "platform/report/report.h"

namespace smmu::platform {

namespace {

constexpr const char* kScript = "tools/report/plot_report.py";
constexpr int kNoMatplotlib = 3;  // the script's exit status when matplotlib is missing

bool is_file(const std::string& p) {
  struct stat st {};
  return !p.empty() && stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string self_dir() {
  std::vector<char> buf(4096);
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "";
  std::string p(buf.data(), static_cast<size_t>(n));
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? "" : p.substr(0, slash);
}

// Runs `python3 script report dir` with its output on `err`; the exit status, or -1.
int run_script(const std::string& script, const std::string& report, const std::string& dir,
               std::ostream& err) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(pipe_fd[1], STDOUT_FILENO);
    dup2(pipe_fd[1], STDERR_FILENO);
    close(pipe_fd[0]);
    close(pipe_fd[1]);
    // Debian's python3 first: python3-matplotlib is installed for it, not for a pyenv one.
    const char* py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    execlp(py, py, script.c_str(), report.c_str(), dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fd[1]);
  char buf[4096];
  ssize_t n;
  std::string out;
  while ((n = read(pipe_fd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipe_fd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) err << "smmu-sim: --plot: " << line << '\n';
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string find_plot_script() {
  if (const char* env = std::getenv("SMMU_PLOT_SCRIPT"); env && *env) return is_file(env) ? env : "";
  const std::string installed = self_dir() + "/../share/smmuv3_tlm/" + kScript;
  if (is_file(installed)) return installed;
#ifdef SMMU_SOURCE_DIR
  const std::string source = std::string(SMMU_SOURCE_DIR) + "/" + kScript;
  if (is_file(source)) return source;
#endif
  return "";
}

void prepare_plot_dir(const std::string& dir) {
  if (dir.empty()) return;
  // mkdir -p, one component at a time.
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    if (mkdir(part.c_str(), 0777) != 0 && errno != EEXIST)
      throw CliError("--plot: cannot create " + part + " (" + std::strerror(errno) + ")");
  }
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw CliError("--plot: " + dir + " is not a folder");
  if (access(dir.c_str(), W_OK) != 0)
    throw CliError("--plot: cannot write in " + dir + " (" + std::strerror(errno) + ")");
}

bool write_report_plots(const nlohmann::json& file_report, const std::string& dir, std::ostream& err) {
  const std::string report = dir + "/report.json";
  write_json_report(file_report, report);
  const std::string script = find_plot_script();
  if (script.empty()) {
    err << "smmu-sim: --plot: " << kScript << " not found (set SMMU_PLOT_SCRIPT)\n";
    return false;
  }
  const int rc = run_script(script, report, dir, err);
  if (rc == 0) return true;
  if (rc == kNoMatplotlib)
    err << "smmu-sim: --plot: no plots (install python3-matplotlib); the report is in " << report << '\n';
  else
    err << "smmu-sim: --plot: " << script << " failed (exit status " << rc << ")\n";
  return false;
}

}  // namespace smmu::platform
