#include "runtime/cluster/node_options.hpp"

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "runtime/cluster/cluster_errors.hpp"
#include "runtime/config.hpp"

namespace dmlp::runtime {

namespace {

caf::error read_port(config_reader& r, const std::string& key, uint16_t& out) {
  uint32_t value = out;
  if (auto err = r.read(key, value))
    return err;
  if (value == 0 || value > 65535)
    return caf::make_error(cluster_errc::invalid_argument,
                           r.where(key) + ": expected a port in 1..65535");
  out = static_cast<uint16_t>(value);
  return caf::none;
}

caf::error bad_file(const std::string& what, const std::string& path, const std::string& why) {
  return caf::make_error(cluster_errc::bad_certificate, "tls." + what + " '" + path + "': " + why);
}

std::string openssl_reason() {
  auto code = ERR_get_error();
  if (code == 0)
    return "not valid PEM";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  ERR_clear_error();
  return text;
}

using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using file_ptr = std::unique_ptr<FILE, decltype(&fclose)>;

caf::expected<x509_ptr> load_cert(const std::string& what, const std::string& path) {
  file_ptr f{fopen(path.c_str(), "r"), &fclose};
  if (!f)
    return bad_file(what, path, "cannot open");
  x509_ptr cert{PEM_read_X509(f.get(), nullptr, nullptr, nullptr), &X509_free};
  if (!cert)
    return bad_file(what, path, openssl_reason());
  return cert;
}

} // namespace

caf::error read_node_options(config_reader& reader, node_options& o) {
  auto node = reader.section("node");
  if (!node)
    return node.error();
  caf::error err;
  if ((err = node->read("name", o.name)) || (err = node->read("host", o.host)) ||
      (err = read_port(*node, "port", o.port)) || (err = node->read("seeds", o.seeds)) ||
      (err = node->read("data_dir", o.data_dir)) || (err = node->read("labels", o.labels)) ||
      (err = node->read("cpus", o.cpus)) || (err = node->read("memory_mb", o.memory_mb)) ||
      (err = node->finish()))
    return err;
  auto cluster = reader.section("cluster");
  if (!cluster)
    return cluster.error();
  auto& d = o.detector;
  if ((err = cluster->read("token", o.token)) ||
      (err = cluster->read("token_file", o.token_file)) ||
      (err = cluster->read("heartbeat_interval", d.heartbeat_interval)) ||
      (err = cluster->read("suspect_after", d.suspect_after)) ||
      (err = cluster->read("down_after", d.down_after)) ||
      (err = cluster->read("forget_after", d.forget_after)) ||
      (err = cluster->read("request_timeout", o.request_timeout)) ||
      (err = cluster->read("seed_retry", o.seed_retry)) || (err = cluster->finish()))
    return err;
  if (d.heartbeat_interval.count() <= 0 || d.suspect_after < d.heartbeat_interval ||
      d.down_after < d.suspect_after)
    return caf::make_error(cluster_errc::invalid_argument,
                           cluster->where("down_after") +
                               ": need 0 < heartbeat_interval <= suspect_after <= down_after");
  auto tls = reader.section("tls");
  if (!tls)
    return tls.error();
  if ((err = tls->read("enabled", o.tls.enabled)) || (err = tls->read("ca", o.tls.ca)) ||
      (err = tls->read("certificate", o.tls.certificate)) || (err = tls->read("key", o.tls.key)) ||
      (err = tls->read("passphrase", o.tls.passphrase)) || (err = tls->finish()))
    return err;
  return caf::none;
}

caf::error resolve_token(node_options& options) {
  if (options.token_file.empty())
    return caf::none;
  std::ifstream in{options.token_file};
  if (!in)
    return caf::make_error(cluster_errc::invalid_argument,
                           "cluster.token_file '" + options.token_file + "': cannot open");
  std::stringstream text;
  text << in.rdbuf();
  options.token = text.str();
  while (!options.token.empty() && (options.token.back() == '\n' || options.token.back() == '\r'))
    options.token.pop_back();
  return caf::none;
}

caf::expected<node_options> load_client_options(const std::string& path) {
  node_options options;
  if (path.empty())
    return options;
  auto reader = config_reader::from_file(path);
  if (!reader)
    return reader.error();
  if (auto err = read_node_options(*reader, options))
    return err;
  if (auto err = validate_tls_files(options.tls))
    return err;
  return options;
}

caf::error validate_tls_files(const tls_options& tls) {
  if (!tls.enabled)
    return caf::none;
  if (tls.ca.empty() || tls.certificate.empty() || tls.key.empty())
    return caf::make_error(cluster_errc::bad_certificate,
                           "tls.enabled needs tls.ca, tls.certificate and tls.key");
  auto ca = load_cert("ca", tls.ca);
  if (!ca)
    return ca.error();
  auto cert = load_cert("certificate", tls.certificate);
  if (!cert)
    return cert.error();
  file_ptr kf{fopen(tls.key.c_str(), "r"), &fclose};
  if (!kf)
    return bad_file("key", tls.key, "cannot open");
  auto* pass = tls.passphrase.empty() ? nullptr : const_cast<char*>(tls.passphrase.c_str());
  pkey_ptr key{PEM_read_PrivateKey(kf.get(), nullptr, nullptr, pass), &EVP_PKEY_free};
  if (!key)
    return bad_file("key", tls.key, "unreadable (wrong passphrase?): " + openssl_reason());
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    ERR_clear_error();
    return bad_file("key", tls.key, "does not match the certificate " + tls.certificate);
  }
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store{X509_STORE_new(), &X509_STORE_free};
  X509_STORE_add_cert(store.get(), ca->get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx{X509_STORE_CTX_new(),
                                                                      &X509_STORE_CTX_free};
  X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr);
  if (X509_verify_cert(ctx.get()) != 1) {
    auto why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get()));
    return bad_file("certificate", tls.certificate,
                    std::string{"not signed by the cluster CA "} + tls.ca + ": " + why);
  }
  return caf::none;
}

caf::expected<std::pair<std::string, uint16_t>> parse_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    return caf::make_error(cluster_errc::invalid_argument,
                           "address '" + text + "': expected host:port");
  try {
    auto port = std::stoul(text.substr(colon + 1));
    if (port == 0 || port > 65535)
      throw std::out_of_range("port");
    return std::make_pair(text.substr(0, colon), static_cast<uint16_t>(port));
  } catch (const std::exception&) {
    return caf::make_error(cluster_errc::invalid_argument, "address '" + text + "': bad port");
  }
}

} // namespace dmlp::runtime
