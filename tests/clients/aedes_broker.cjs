// aedes, a second broker implementation (MQTT 3.1.1 only; it refuses MQTT 5 with CONNACK code 1),
// on 127.0.0.1:PORT. aedes comes from npm, installed by scripts/test into $GPIO2MQTT_NPM_CACHE.
'use strict'
const net = require('node:net')
const path = require('node:path')
const { createRequire } = require('node:module')

const cache = process.env.GPIO2MQTT_NPM_CACHE || '/var/cache/gpio2mqtt-npm'
const aedes = createRequire(path.join(cache, 'package.json'))('aedes')()
const port = Number(process.argv[2])
net.createServer(aedes.handle).listen(port, '127.0.0.1', () => console.log(`aedes listening on 127.0.0.1:${port}`))
