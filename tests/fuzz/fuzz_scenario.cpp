// SPDX-License-Identifier: Apache-2.0
// fuzz_scenario: bytes -> the scenario smmu-sim would read (platform/scenario,
// platform/config/config_reader), from the file text and --set overrides alike.
//
// Input: chunks separated by NUL bytes. The first is the scenario file's text (empty: no
// file, the built-in default scenario, as smmu-sim without a file argument); each further
// chunk is one --set KEY=VALUE, applied in order. Every input must end in a scenario
// or in the errors smmu-sim turns into one message and exit status 2 (ConfigError,
// std::invalid_argument, sc_report: see run_smmu_sim); anything else aborts, and so do
// a crash, a hang or a sanitizer report.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>

#include "fuzz/fuzz_driver.h"
#include "platform/config/config_reader.h"
#include "platform/scenario/scenario.h"

namespace {

using smmu::platform::ConfigError;

// More overrides than any command line a user types; keeps one input's work bounded.
constexpr size_t kMaxOverrides = 32;

// The scenario file: an in-memory file rewritten for every input, read by path as
// smmu-sim reads its argument.
class ScenarioFile {
 public:
  ScenarioFile() : fd_(memfd_create("scenario.json", 0)) {
    if (fd_ < 0) {
      std::perror("fuzz_scenario: memfd_create");
      std::abort();
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  const std::string& write(const std::string& text) {
    if (ftruncate(fd_, 0) != 0 ||
        pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      std::perror("fuzz_scenario: writing the scenario file");
      std::abort();
    }
    return path_;
  }

 private:
  int fd_;
  std::string path_;
};

[[noreturn]] void fail(const char* what, const std::string& message) {
  std::fprintf(stderr, "fuzz_scenario: %s: %s\n", what, message.c_str());
  std::abort();
}

// The exit-2 path must say something.
void expect_message(const char* what) {
  if (what == nullptr || *what == '\0') fail("error without a message", "");
}

}  // namespace

namespace smmu::fuzz {

int fuzz_one(const uint8_t* data, size_t size) {
  static ScenarioFile file;
  std::vector<std::string> chunks(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0)
      chunks.emplace_back();
    else
      chunks.back() += static_cast<char>(data[i]);
  }
  if (chunks.size() > kMaxOverrides + 1) return -1;  // not added to the corpus
  const std::string path = chunks[0].empty() ? std::string() : file.write(chunks[0]);
  const std::vector<std::string> overrides(chunks.begin() + 1, chunks.end());
  try {
    const nlohmann::json doc = smmu::platform::load_scenario_document(path, overrides);
    (void)smmu::platform::read_scenario(doc);
  } catch (const ConfigError& e) {
    expect_message(e.what());
  } catch (const std::invalid_argument& e) {
    expect_message(e.what());
  } catch (const sc_core::sc_report& e) {
    expect_message(e.get_msg());
  } catch (const std::exception& e) {
    fail("an error smmu-sim does not report as bad input (exit 1)", e.what());
  }
  return 0;
}

void init_target() {
  // As smmu-sim: a rejected value reported through SystemC is an exception.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions(sc_core::SC_FATAL, sc_core::SC_THROW);
}

}  // namespace smmu::fuzz
