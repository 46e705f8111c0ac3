#!/usr/bin/python3
# A peer of scripts/bench --vm: the GPIO -> MQTT bridge a user would write from the seed tutorial,
# with Debian's python3-paho-mqtt (1.6) and python3-libgpiod (1.6): paho's network thread started
# with loop_start(), libgpiod's event_wait()/event_read() loop on the main thread, one QoS 0
# publish of "ON"/"OFF" per edge. Deliberately plain: it is what gpio2mqtt is compared with, not
# something to tune.
#
#   seed_bridge.py CHIP OFFSET RECORD HOST PORT TOPIC
#
# Like bench/floor/c_bridge.c: it publishes {"status":"On"} on bench/status once connected, and on
# SIGTERM exits 0 (RECORD is not written: the bench counts what the broker delivered).
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


client = mqtt.Client(client_id="seed_bridge")
client.on_connect = on_connect
client.connect(host, int(port), keepalive=60)
client.loop_start()

chip = gpiod.Chip(chip_path)
line = chip.get_line(int(offset))
line.request(consumer="seed_bridge", type=gpiod.LINE_REQ_EV_BOTH_EDGES)

while running:
    try:
        if line.event_wait(sec=1):
            event = line.event_read()
            client.publish(topic, "ON" if event.type == gpiod.LineEvent.RISING_EDGE else "OFF", qos=0)
    except InterruptedError:  # SIGTERM while waiting
        pass

line.release()
client.loop_stop()
client.disconnect()
