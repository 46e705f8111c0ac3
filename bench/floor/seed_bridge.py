#!/usr/bin/python3
# A peer of scripts/bench --vm: the GPIO -> MQTT bridge a user would write from the seed tutorial,
# with Debian's python3-paho-mqtt and python3-libgpiod: paho's network thread started with
# loop_start(), libgpiod's wait-and-read loop on the main thread, one QoS 0 publish of "ON"/"OFF"
# per edge. Deliberately plain: it is what gpio2mqtt is compared with, not something to tune.
# Debian 12 has paho-mqtt 1.6 and libgpiod 1.6 (event_wait()/event_read(), one event per read),
# Debian 13 paho-mqtt 2.1 and libgpiod 2.2 (wait_edge_events()/read_edge_events(), every pending
# event per read): each as its seed tutorial writes it, told apart by what the modules offer.
#
#   seed_bridge.py CHIP OFFSET RECORD HOST PORT TOPIC
#
# Like bench/floor/c_bridge.c: it publishes {"status":"On"} on bench/status once its line is
# requested and it is connected, and on SIGTERM exits 0 (RECORD is not written: the bench counts
# what the broker delivered).
import signal
import sys

import gpiod
import paho.mqtt.client as mqtt

chip_path, offset, _record, host, port, topic = sys.argv[1:7]
running = True


def stop(signum, frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)


def on_connect(client, userdata, flags, rc):
    if rc == 0:
        client.publish("bench/status", '{"status":"On"}', qos=0)


# The line first, then the broker: its "On" tells the bench to start the edges, and an edge
# before the request would be missed (then every later one paired with the write before it).
if hasattr(gpiod, "request_lines"):  # libgpiod 2.x
    request = gpiod.request_lines(
        chip_path,
        consumer="seed_bridge",
        config={int(offset): gpiod.LineSettings(edge_detection=gpiod.line.Edge.BOTH)},
    )
else:  # libgpiod 1.x
    chip = gpiod.Chip(chip_path)
    line = chip.get_line(int(offset))
    line.request(consumer="seed_bridge", type=gpiod.LINE_REQ_EV_BOTH_EDGES)

if hasattr(mqtt, "CallbackAPIVersion"):  # paho-mqtt 2.x: VERSION1 keeps the 1.x callbacks above
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, client_id="seed_bridge")
else:
    client = mqtt.Client(client_id="seed_bridge")
client.on_connect = on_connect
client.connect(host, int(port), keepalive=60)
client.loop_start()


def publish(rising):
    client.publish(topic, "ON" if rising else "OFF", qos=0)


if hasattr(gpiod, "request_lines"):
    while running:
        try:
            if request.wait_edge_events(1):
                for event in request.read_edge_events():
                    publish(event.event_type == gpiod.EdgeEvent.Type.RISING_EDGE)
        except InterruptedError:  # SIGTERM while waiting
            pass
    request.release()
else:
    while running:
        try:
            if line.event_wait(sec=1):
                event = line.event_read()
                publish(event.type == gpiod.LineEvent.RISING_EDGE)
        except InterruptedError:  # SIGTERM while waiting
            pass
    line.release()

client.loop_stop()
client.disconnect()
