// A plain thread pool for the dataset tools: run fn(i) for i in [0, n) over `threads` std::threads.
// Each index runs at most once (all of them unless fn throws: the first exception is rethrown to the caller);
// fn must be safe to call concurrently for different indices.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace p2p {

inline int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? int(n) : 1;
}

template <class Fn>
void parallel_for(size_t n, int threads, Fn fn) {
  threads = std::max(1, std::min<int>(threads, int(std::min<size_t>(n, 1024))));
  if (threads <= 1) {
    for (size_t i = 0; i < n; i++) fn(i);
    return;
  }
  // An exception escaping a std::thread would abort the program: the first one is kept, the other
  // workers stop taking indices, and it is rethrown here in the caller's thread once all have joined.
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr first;
  auto work = [&] {
    try {
      for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    } catch (...) {
      std::lock_guard<std::mutex> l(mu);
      if (!first) first = std::current_exception();
      next.store(n);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; t++) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace p2p
