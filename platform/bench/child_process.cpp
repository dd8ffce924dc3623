// SPDX-License-Identifier: Apache-2.0
#include "platform/bench/child_process.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <iostream>

namespace smmu::platform {

namespace {

struct Child {
  size_t index = 0;
  pid_t pid = -1;
  int fd = -1;
};

void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t w = write(fd, text.data() + done, text.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(3);
    done += static_cast<size_t>(w);
  }
}

// Starts fns[i]; on failure records the error and returns false.
bool start(const std::function<std::string()>& fn, size_t i, Child& c, ChildOutcome& out) {
  int fds[2];
  if (pipe(fds) != 0) {
    out.error = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    out.error = std::string("fork: ") + std::strerror(errno);
    close(fds[0]);
    close(fds[1]);
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    std::string text;
    int status = 0;
    try {
      text = fn();
    } catch (const std::exception& e) {
      text = e.what();
      status = 4;
    }
    write_all(fds[1], text);
    close(fds[1]);
    std::fflush(nullptr);
    _exit(status);
  }
  close(fds[1]);
  c = Child{i, pid, fds[0]};
  return true;
}

void finish(const Child& c, ChildOutcome& out) {
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(c.fd);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    out.text = std::move(text);
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
    out.error = text;  // the function's exception
  } else {
    out.error = "the child process ended abnormally (status " + std::to_string(status) + ")";
  }
}

}  // namespace

std::vector<ChildOutcome> run_in_children(const std::vector<std::function<std::string()>>& fns,
                                          unsigned jobs) {
  std::vector<ChildOutcome> out(fns.size());
  std::deque<Child> running;
  if (jobs == 0) jobs = 1;
  for (size_t i = 0; i < fns.size(); ++i) {
    while (running.size() >= jobs) {
      finish(running.front(), out[running.front().index]);
      running.pop_front();
    }
    Child c;
    if (start(fns[i], i, c, out[i])) running.push_back(c);
  }
  for (const Child& c : running) finish(c, out[c.index]);
  return out;
}

}  // namespace smmu::platform
