#include "fake_paho.h"

#include <stdexcept>

namespace gpio2mqtt::testing {

bool FakeToken::wait_for(std::chrono::milliseconds) {
  if (!complete_ && on_wait) on_wait();
  if (complete_ && return_code_ != 0) throw mqtt::PahoError("failed", return_code_);
  return complete_;
}

void FakePaho::accept_connect(const std::string& cause) {
  // Also after a loss without a connect: paho's automatic reconnect (never asked for) would.
  accept_connect_of(attempts.empty() ? 0 : attempts.size() - 1, cause);
}

void FakePaho::refuse_connect(int code) { refuse_connect_of(attempts.empty() ? 0 : attempts.size() - 1, code); }

void FakePaho::accept_connect_of(std::size_t index, const std::string& cause) {
  connected_ = true;
  handlers_.connected(attempts.empty() ? mqtt::ConnectAttempt{} : attempts.at(index), cause);
}

void FakePaho::refuse_connect_of(std::size_t index, int code) {
  handlers_.connect_failed(attempts.empty() ? mqtt::ConnectAttempt{} : attempts.at(index), code);
}

void FakePaho::lose_connection(const std::string& cause) {
  connected_ = false;
  handlers_.connection_lost(cause);
}

void FakePaho::send_disconnect(int reason) {
  connected_ = false;
  handlers_.disconnected(reason);
}

void FakePaho::deliver(const std::string& topic, const std::string& payload, bool retained) {
  handlers_.message(topic, payload, retained);
}

void FakePaho::acknowledge(std::size_t count) {
  for (auto& publish : published) {
    if (count == 0) return;
    if (publish.token->complete()) continue;
    publish.token->finish();
    handlers_.delivered(true, publish.message.qos > 0);
    --count;
  }
}

void FakePaho::refuse_publish(std::size_t index, int reason) {
  published.at(index).token->finish(0, reason);  // as paho 1.3 reports it: a success with the reason
  handlers_.delivered(true, published.at(index).message.qos > 0);
}

std::size_t FakePaho::incomplete() const {
  std::size_t out = 0;
  for (const auto& publish : published) out += !publish.token->complete();
  return out;
}

std::vector<Message> FakePaho::messages(std::size_t from) const {
  std::vector<Message> out;
  for (std::size_t i = from; i < published.size(); ++i) out.push_back(published[i].message);
  return out;
}

mqtt::TokenPtr FakePaho::publish(const Message& message) {
  if (refuses_publishes || !connected_) throw mqtt::PahoError("MQTT error [-3]: Disconnected", -3);
  published.push_back({message, std::make_shared<FakeToken>()});
  if (acknowledges_while_waited_for) published.back().token->on_wait = [this] { acknowledge(); };
  return published.back().token;
}

mqtt::TokenPtr FakePaho::disconnect(std::chrono::milliseconds) {
  ++disconnects;
  if (!connected_) throw mqtt::PahoError("MQTT error [-3]: Disconnected", -3);
  connected_ = false;
  auto token = std::make_shared<FakeToken>();
  token->finish();
  return token;
}

mqtt::PahoFactory FakePahoFactory::factory() {
  return [this](int version, mqtt::PahoHandlers handlers) {
    auto paho = std::make_unique<FakePaho>(version, std::move(handlers));
    made_.push_back(paho.get());
    return paho;
  };
}

}  // namespace gpio2mqtt::testing
