// A repair of CAF 0.17's OpenSSL module, linked into every program that uses dmlp_cluster.
//
// OpenSSL keeps a per-thread error queue, and SSL_get_error() reports SSL_ERROR_SSL whenever
// that queue is not empty, so the queue must be empty before every SSL_read / SSL_write /
// SSL_connect / SSL_accept. CAF 0.17.6 (libcaf_openssl/src/openssl/session.cpp) never clears
// it: it only drains it inside CAF_LOG_INFO, which Debian's CAF_LOG_LEVEL_QUIET build compiles
// out. A refused handshake (a foreign CA) leaves its verify error on the multiplexer thread's
// queue, and the next SSL_read of an established connection that merely wants more data is
// read as a fatal error: CAF closes that legitimate connection and the cluster marks the node
// down. Upstream CAF fixed the same bug in its newer caf-net SSL layer ("Fix error handling in
// OpenSSL wrapper", 2022) by clearing the queue before each call; 0.17 never got it.
//
// openssl_error_queue.cpp defines those four functions; the dynamic linker resolves
// libcaf_openssl's calls to them (an executable's definitions come first), and each clears
// the calling thread's queue and forwards to libssl's own. Thread-safe (the queue is per thread).
#pragma once

namespace dmlp::runtime::detail {

/// Whether libcaf_openssl's SSL calls reach the queue-clearing wrappers in this process (false
/// when the program was linked so that they do not interpose, e.g. into a shared library).
bool openssl_error_queue_guard_active();

} // namespace dmlp::runtime::detail
