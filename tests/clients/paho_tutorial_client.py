#!/usr/bin/python3
# A python3-paho-mqtt client written the way the Raspberry Pi tutorials write one: connect,
# subscribe in on_connect (so a reconnect subscribes again), loop_start(), publish.
# The test drives it through a FIFO and reads what it saw from its output:
#   in:  S<TAB>filter | U<TAB>filter | P<TAB>qos<TAB>retain<TAB>topic<TAB>payload
#   out: C<TAB>code (connected) | M<TAB>retain<TAB>topic<TAB>payload | A<TAB>what (acknowledged)
# Usage: paho_tutorial_client.py HOST PORT 5|3.1.1 tcp|websockets CLIENT_ID FIFO
import sys

import paho.mqtt.client as mqtt

host, port, version, transport, client_id, fifo = sys.argv[1:7]
subscriptions = []


def say(*fields):
    print("\t".join(str(f) for f in fields), flush=True)


def on_connect(client, userdata, flags, rc, properties=None):
    say("C", int(rc) if not hasattr(rc, "value") else rc.value)
    for topic in subscriptions:
        client.subscribe(topic, qos=1)


def on_message(client, userdata, message):
    say("M", int(message.retain), message.topic, message.payload.decode("utf-8", "replace"))


def on_subscribe(client, userdata, mid, *rest):
    say("A", "subscribed")


def on_unsubscribe(client, userdata, mid, *rest):
    say("A", "unsubscribed")


protocol = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
client = mqtt.Client(client_id=client_id, protocol=protocol, transport=transport)
client.on_connect = on_connect
client.on_message = on_message
client.on_subscribe = on_subscribe
client.on_unsubscribe = on_unsubscribe
client.reconnect_delay_set(min_delay=1, max_delay=2)
client.connect(host, int(port), keepalive=60)
client.loop_start()

with open(fifo, encoding="utf-8") as commands:
    for line in commands:
        fields = line.rstrip("\n").split("\t")
        if fields[0] == "S":
            subscriptions.append(fields[1])
            client.subscribe(fields[1], qos=1)
        elif fields[0] == "U":
            subscriptions.remove(fields[1])
            client.unsubscribe(fields[1])
        elif fields[0] == "P":
            info = client.publish(fields[3], fields[4], qos=int(fields[1]), retain=fields[2] == "1")
            info.wait_for_publish(10)
            say("A", "published")
client.loop_stop()
client.disconnect()
