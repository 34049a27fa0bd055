#pragma once
// For tests of code that does its IO on Asio: an io_context running on a thread of its own for
// the whole test.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <thread>

#include "eventually.hpp"
#include "net/executor.hpp"

class IoThread {
 public:
  IoThread() : thread_([this] { ioc_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  net::Strand strand() { return boost::asio::make_strand(ioc_); }

 private:
  net::IoContext ioc_;
  boost::asio::executor_work_guard<net::IoContext::executor_type> guard_{ioc_.get_executor()};
  std::thread thread_;
};
