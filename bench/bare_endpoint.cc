// The ceiling for the collector benchmark: logpipe's own HTTP stack with a POST /logs that reads
// the body and answers 202 without looking at it. Prints the same ready line as `logpipe run`.
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "http/server.h"

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const auto port = static_cast<uint16_t>(argc > 1 ? std::stoi(argv[1]) : 0);
  lp::metrics::Registry registry;
  lp::http::HttpMetrics metrics(registry);
  lp::http::Server server(
      lp::http::ServerOptions{.name = "bare",
                              .port = port,
                              .threads = std::max(1u, std::thread::hardware_concurrency())},
      {lp::http::Route{"POST", "/logs",
                       [](lp::http::Request&, lp::http::Responder respond) {
                         lp::http::Response response;
                         response.status = 202;
                         response.body = R"({"accepted":0})";
                         respond(std::move(response));
                       }}},
      metrics);
  if (auto started = server.Start(); !started) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  std::printf("logpipe ready: POST events to http://127.0.0.1:%u/logs  (metrics: none)\n",
              server.port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  return 0;
}
