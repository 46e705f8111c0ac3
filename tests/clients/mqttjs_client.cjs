// An MQTT.js client (the engine of the MQTT X app), driven by the tests like
// paho_tutorial_client.py, with the same FIFO commands and output lines.
// Usage: node mqttjs_client.cjs URL 5|3.1.1 CLIENT_ID FIFO   (URL: mqtt://... or ws://...)
// MQTT.js comes from npm, installed by scripts/test into $GPIO2MQTT_NPM_CACHE.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')
const { createRequire } = require('node:module')

const cache = process.env.GPIO2MQTT_NPM_CACHE || '/var/cache/gpio2mqtt-npm'
const mqtt = createRequire(path.join(cache, 'package.json'))('mqtt')
const [url, version, clientId, fifo] = process.argv.slice(2)
const say = (...fields) => process.stdout.write(fields.join('\t') + '\n')

const subscriptions = []
const client = mqtt.connect(url, {
  clientId,
  protocolVersion: version === '5' ? 5 : 4,
  reconnectPeriod: 500,
  resubscribe: false, // subscribed again in on('connect'), the way the tutorials do it
  clean: true
})
client.on('connect', (connack) => {
  say('C', connack.reasonCode ?? connack.returnCode ?? 0)
  // A clean session forgets subscriptions; MQTT.js resubscribes by itself only if asked.
  for (const topic of subscriptions) client.subscribe(topic, { qos: 1 })
})
client.on('message', (topic, payload, packet) => say('M', packet.retain ? 1 : 0, topic, payload.toString()))
client.on('error', (error) => process.stderr.write(`error: ${error.message}\n`))

const commands = readline.createInterface({ input: fs.createReadStream(fifo) })
commands.on('line', (line) => {
  const fields = line.split('\t')
  if (fields[0] === 'S') {
    subscriptions.push(fields[1])
    client.subscribe(fields[1], { qos: 1 }, () => say('A', 'subscribed'))
  } else if (fields[0] === 'U') {
    subscriptions.splice(subscriptions.indexOf(fields[1]), 1)
    client.unsubscribe(fields[1], () => say('A', 'unsubscribed'))
  } else if (fields[0] === 'P') {
    client.publish(fields[3], fields[4], { qos: Number(fields[1]), retain: fields[2] === '1' }, () =>
      say('A', 'published'))
  }
})
commands.on('close', () => client.end())
