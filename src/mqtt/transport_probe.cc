// probe_transport(): what paho's bare "-1" hides, found by doing its first steps again.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "mqtt/connect_failure.h"
#include "util/unique_fd.h"

namespace gpio2mqtt::mqtt {
namespace {

struct Endpoint {
  std::string host;
  std::string port;
};

// "mqtts://[::1]:8883/path" -> {"::1", "8883"}; the loader already added the default port.
Endpoint endpoint_of(const std::string& server) {
  std::string rest = server.substr(server.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  Endpoint out{rest.substr(0, colon), rest.substr(colon + 1)};
  if (!out.host.empty() && out.host.front() == '[') out.host = out.host.substr(1, out.host.size() - 2);
  return out;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Connects within `timeout`; on failure `why` says how.
UniqueFd connect_tcp(const Endpoint& at, std::chrono::milliseconds timeout, std::string& why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(at.host.c_str(), at.port.c_str(), &hints, &found); rc != 0) {
    why = "cannot resolve the host name '" + at.host + "' (DNS: " + gai_strerror(rc) + "); check mqtt.server";
    return {};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  for (addrinfo* a = found; a; a = a->ai_next) {
    UniqueFd fd(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!fd.valid()) continue;
    int rc = ::connect(fd.get(), a->ai_addr, a->ai_addrlen);
    int error = rc == 0 ? 0 : errno;
    if (error == EINPROGRESS) {
      pollfd p{fd.get(), POLLOUT, 0};
      if (poll(&p, 1, static_cast<int>(timeout.count())) == 0) {
        why = "timed out connecting to " + at.host + " port " + at.port +
              " (no answer: a firewall, a wrong address, or the host is down)";
        continue;
      }
      socklen_t length = sizeof error;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    }
    if (error == 0) {
      fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
      timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      return fd;
    }
    if (error == ECONNREFUSED)
      why = "connection refused by " + at.host + " port " + at.port + " (no broker listens there; check mqtt.server)";
    else why = "cannot connect to " + at.host + " port " + at.port + ": " + std::strerror(error);
  }
  return {};
}

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (!code) return "the connection was closed";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// The DNS names and addresses a certificate is for, for a host name mismatch.
std::string names_in(X509* certificate) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    std::string one;
    if (name->type == GEN_DNS) {
      const auto* text = ASN1_STRING_get0_data(name->d.dNSName);
      one.assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(ASN1_STRING_length(name->d.dNSName)));
    } else if (name->type == GEN_IPADD && ASN1_STRING_length(name->d.iPAddress) == 4) {
      const auto* b = ASN1_STRING_get0_data(name->d.iPAddress);
      one = std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." + std::to_string(b[3]);
    }
    if (!one.empty()) out += (out.empty() ? "" : ", ") + one;
  }
  GENERAL_NAMES_free(names);
  return out.empty() ? "no names" : out;
}

std::string probe_tls(const config::MqttConfig& config, const Endpoint& at, int fd) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!context) return "TLS: " + openssl_error();
  const auto& tls = config.tls;
  if (!tls.ca_file.empty() ? SSL_CTX_load_verify_locations(context.get(), tls.ca_file.c_str(), nullptr) != 1
                           : SSL_CTX_set_default_verify_paths(context.get()) != 1)
    return "TLS: cannot load the trusted CAs" + (tls.ca_file.empty() ? "" : " from " + tls.ca_file) + ": " +
           openssl_error();
  if (!tls.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(context.get(), tls.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(context.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1))
    return "TLS: cannot use the client certificate " + tls.cert_file + " with the key " + tls.key_file + ": " +
           openssl_error();
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);  // the result is read below
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(context.get()), SSL_free);
  if (!ssl) return "TLS: " + openssl_error();
  SSL_set_fd(ssl.get(), fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
  if (is_ip_address(at.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, at.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), at.host.c_str());
    X509_VERIFY_PARAM_set1_host(param, at.host.c_str(), 0);
  }
  if (SSL_connect(ssl.get()) != 1)
    return "the TLS handshake with " + at.host + " port " + at.port + " failed: " + openssl_error() +
           " (is it a TLS port? does the broker want a client certificate, mqtt.tls.cert_file?)";
  if (tls.insecure) return "";
  long result = SSL_get_verify_result(ssl.get());
  if (result == X509_V_OK) return "";
  std::unique_ptr<X509, decltype(&X509_free)> certificate(SSL_get1_peer_certificate(ssl.get()), X509_free);
  if (result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH)
    return "TLS: host name mismatch: the broker's certificate is for " +
           (certificate ? names_in(certificate.get()) : std::string("other names")) + ", not '" + at.host +
           "'; use one of those names in mqtt.server";
  std::string why = X509_verify_cert_error_string(result);
  std::string hint = tls.ca_file.empty() ? "set mqtt.tls.ca_file to the CA that signed it"
                                         : "mqtt.tls.ca_file (" + tls.ca_file + ") is not the CA that signed it";
  if (result == X509_V_ERR_CERT_HAS_EXPIRED || result == X509_V_ERR_CERT_NOT_YET_VALID)
    hint = "check this machine's clock and the certificate's dates";
  return "TLS: the broker's certificate is not trusted: " + why + "; " + hint;
}

}  // namespace

std::string probe_transport(const config::MqttConfig& config, std::chrono::milliseconds timeout) {
  Endpoint at = endpoint_of(config.server);
  std::string why;
  UniqueFd fd = connect_tcp(at, timeout, why);
  if (!fd.valid()) return why;
  if (config.tls.enabled) return probe_tls(config, at, fd.get());
  return "";
}

}  // namespace gpio2mqtt::mqtt
