// The sockets MQTT arrives on: plain TCP, TLS, and WebSocket. Each is optional; port 0 lets the
// OS pick, and start() says which ports were bound.
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import { WebSocketServer, createWebSocketStream } from 'ws'
import type { MqttHostConfig } from './config.ts'
import { MqttError, MqttErrorCode } from './errors.ts'

export interface BoundPorts { tcp?: number; tls?: number; ws?: number }
export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => void
type ListenersConfig = MqttHostConfig['listeners']
type ListenerName = keyof BoundPorts

export class Listeners {
  private readonly servers: (Server | HttpServer)[] = []
  private readonly sockets = new Set<Socket>()
  private wss: WebSocketServer | undefined

  constructor(
    private readonly cfg: ListenersConfig,
    private readonly handle: ConnectionHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<BoundPorts> {
    const { tcp, tls, ws } = this.cfg
    const ports: BoundPorts = {}
    try {
      if (tcp) ports.tcp = await this.listen('tcp', createTcpServer((s) => this.handle(s)), tcp)
      if (tls) {
        const server = tlsServer(readTls(tls), (s) => this.handle(s))
        server.on('tlsClientError', (err, s) => this.log.debug({ err, remote: s.remoteAddress }, 'tls handshake failed'))
        ports.tls = await this.listen('tls', server, tls)
      }
      if (ws) ports.ws = await this.listen('ws', this.webSocketServer(ws.path), ws)
    } catch (err) {
      await this.stop()
      throw err
    }
    return ports
  }

  /** Stops accepting and drops every open connection. Idempotent. */
  async stop(): Promise<void> {
    const servers = this.servers.splice(0)
    const closed = servers.map((s) => new Promise<void>((resolve, reject) => s.close((err) => (err ? reject(err) : resolve()))))
    this.wss?.close()
    this.wss = undefined
    for (const s of this.sockets) s.destroy()
    await Promise.all(closed)
  }

  private webSocketServer(path: string): HttpServer {
    const http = createHttpServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('MQTT over WebSocket only\n')
    })
    const wss = new WebSocketServer({ server: http, path })
    wss.on('connection', (socket, req) => this.handle(createWebSocketStream(socket), req))
    wss.on('error', (err) => this.log.error({ err, listener: 'ws' }, 'websocket server failed'))
    this.wss = wss
    return http
  }

  private async listen(name: ListenerName, server: Server | HttpServer, at: { host: string; port: number }): Promise<number> {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.once('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(new MqttError(MqttErrorCode.Listen, `${name} listener cannot bind ${at.host}:${at.port}: ${err.message}`, { listener: name, ...at }, err))
      server.once('error', failed)
      server.listen(at.port, at.host, () => {
        server.off('error', failed)
        resolve()
      })
    })
    server.on('error', (err) => this.log.error({ err, listener: name }, 'listener failed'))
    this.servers.push(server)
    return (server.address() as AddressInfo).port
  }
}

function tlsServer(options: TlsOptions, onSecure: (s: Duplex) => void): Server {
  try {
    return createTlsServer(options, onSecure)
  } catch (err) {
    // a key that does not match the certificate, or a file that is not PEM
    throw new MqttError(MqttErrorCode.Tls, `listeners.tls: ${(err as Error).message}`, {}, err)
  }
}

function readTls(cfg: NonNullable<ListenersConfig['tls']>): TlsOptions {
  const read = (what: 'cert' | 'key' | 'ca', file: string) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new MqttError(MqttErrorCode.TlsFile, `cannot read listeners.tls.${what} ${file}: ${(err as Error).message}`, { file }, err)
    }
  }
  return {
    cert: read('cert', cfg.cert),
    key: read('key', cfg.key),
    ...(cfg.ca ? { ca: read('ca', cfg.ca) } : {}),
    requestCert: cfg.requireClientCert,
    rejectUnauthorized: cfg.requireClientCert,
  }
}
