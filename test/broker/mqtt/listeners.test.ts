// The TLS and WebSocket listeners with real clients: mqtts with a certificate openssl made for
// the test, mqtt.js over ws://; and how start() fails.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { run } from '../../helpers/cli.ts'
import { collector } from '../../helpers/broker.ts'
import { A1, PASSWORDS, connect, gateway, startHost, telemetry, tempDir, type HostFixture } from './fixtures.ts'

let fx: HostFixture | undefined
const clients: MqttClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  await fx?.stop()
  fx = undefined
})

async function selfSignedCert(): Promise<{ cert: string; key: string }> {
  const dir = tempDir()
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem')
  const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert])
  expect(r.code, r.stderr).toBe(0)
  return { cert, key }
}

describe('listeners', () => {
  it('serves mqtts on the TLS listener and mqtt.js over ws:// on the WebSocket listener, on OS-picked ports', async () => {
    const { cert, key } = await selfSignedCert()
    fx = await startHost({
      section: { listeners: { tls: { host: '127.0.0.1', port: 0, cert, key }, ws: { host: '127.0.0.1', port: 0 } } },
    })
    expect(fx.ports.tcp).toBeUndefined()
    expect(fx.ports.tls).toBeGreaterThan(0)
    expect(fx.ports.ws).toBeGreaterThan(0)

    const mon = await collector(`ws://127.0.0.1:${fx.ports.ws}/mqtt`, ['lift/v1/#'], { clientId: 'ops', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
    const url = `mqtts://localhost:${fx.ports.tls}`
    // an untrusted certificate is refused by the client; trusting it, the gateway connects
    await expect(connect(url, { clientId: 'gw-a', username: 'gw-a', password: PASSWORDS['gw-a'] })).rejects.toThrow(/self[- ]signed/i)
    const gwA = await gateway(url, 'gw-a', { ca: readFileSync(cert), servername: 'localhost' })
    clients.push(gwA)
    await gwA.publishAsync(telemetry(A1).topic, telemetry(A1).payload, { qos: 1 })
    await mon.waitFor((ms) => ms.length === 1)
    expect(mon.messages[0]!.topic).toBe(telemetry(A1).topic)
    await mon.close()
  })

  it('answers plain HTTP on the WebSocket port with 426', async () => {
    fx = await startHost({ section: { listeners: { ws: { host: '127.0.0.1', port: 0 } } } })
    const res = await fetch(`http://127.0.0.1:${fx.ports.ws}/mqtt`)
    expect(res.status).toBe(426)
  })

  it('fails start() with LW_ERR_MQTT_TLS_FILE naming a missing file, and LW_ERR_MQTT_LISTEN for a taken port', async () => {
    const missing = join(tempDir(), 'nope.pem')
    const host = startHost({ section: { listeners: { tcp: { host: '127.0.0.1', port: 0 }, tls: { host: '127.0.0.1', port: 0, cert: missing, key: missing } } } })
    await expect(host).rejects.toMatchObject({ code: 'LW_ERR_MQTT_TLS_FILE', data: { file: missing } })

    const taken: Server = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    try {
      await expect(startHost({ section: { listeners: { tcp: { host: '127.0.0.1', port } } } }))
        .rejects.toMatchObject({ code: 'LW_ERR_MQTT_LISTEN', data: { listener: 'tcp', port } })
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })
})
