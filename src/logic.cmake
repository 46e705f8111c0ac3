# gpio2mqtt_logic: the pure logic under everything else — util's time and text, the typed config
# and its loader, the bridge (topics, payloads, debounce, pulses, the outbox; time passed in). It
# does no I/O but reading the config file. src/CMakeLists.txt builds it for the daemon, and
# fuzz/CMakeLists.txt builds the same library with clang and the fuzzing sanitizers.
# Needs GPIO2MQTT_YAML_TARGET and spdlog found.
set(GPIO2MQTT_SRC_DIR ${CMAKE_CURRENT_LIST_DIR})
# The version goes into the Home Assistant discovery payload (bridge/discovery.cc) and --version.
configure_file(${GPIO2MQTT_SRC_DIR}/version.h.in ${CMAKE_CURRENT_BINARY_DIR}/include/gpio2mqtt/version.h @ONLY)
add_library(gpio2mqtt_logic STATIC
  ${GPIO2MQTT_SRC_DIR}/bridge/announcer.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/binding_switch.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/bindings.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/bridge.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/bridge_reload.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/command_intake.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/button.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/command.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/counter.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/cover.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/debounce.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/describe.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/devices/cover_device.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/devices/pwm_device.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/devices/registry.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/dimmer.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/discovery.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/interlock.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/modes/button_line.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/modes/counter_line.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/modes/input_line.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/modes/output_line.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/modes/registry.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/outbox.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/sensor.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/pwm_discovery.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/pwm_output.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/slow_pwm.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/reload_plan.cc
  ${GPIO2MQTT_SRC_DIR}/bridge/switchboard.cc
  ${GPIO2MQTT_SRC_DIR}/config/config.cc
  ${GPIO2MQTT_SRC_DIR}/config/cover_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/entity.cc
  ${GPIO2MQTT_SRC_DIR}/config/homeassistant_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/binding_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/chip_line.cc
  ${GPIO2MQTT_SRC_DIR}/config/interlock_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/line_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/mqtt_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/pwm_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/sensor_loader.cc
  ${GPIO2MQTT_SRC_DIR}/config/yaml_reader.cc
  ${GPIO2MQTT_SRC_DIR}/pwm/chip_info.cc
  ${GPIO2MQTT_SRC_DIR}/sensors/quantity.cc
  ${GPIO2MQTT_SRC_DIR}/util/clock.cc
  ${GPIO2MQTT_SRC_DIR}/util/json.cc
  ${GPIO2MQTT_SRC_DIR}/util/text.cc
)
# include/gpio2mqtt: the design (interfaces, typed config, bridge, the service's entry), included
# as "gpio2mqtt/..."; src: the private headers beside their sources, included as "dir/file.h".
target_include_directories(gpio2mqtt_logic PUBLIC ${GPIO2MQTT_SRC_DIR}/../include ${GPIO2MQTT_SRC_DIR}
  ${CMAKE_CURRENT_BINARY_DIR}/include)
target_link_libraries(gpio2mqtt_logic PUBLIC ${GPIO2MQTT_YAML_TARGET} spdlog::spdlog)
