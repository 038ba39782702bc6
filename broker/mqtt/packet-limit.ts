// A maximum packet size for MQTT 3.1.1, which has none of its own: mqtt-packet's parser (aedes 1.x)
// buffers whatever remaining length a fixed header claims, so one socket that sends a header
// claiming 256 MiB before CONNECT would be read to the end. Here each packet's fixed header is
// read as the bytes pass, and a connection whose header claims more than the limit of the moment
// (smaller until the client is authenticated) is destroyed before its body is buffered.
import type { Duplex } from 'node:stream'

/**
 * Follows packet boundaries on `stream` (MQTT 3.1.1 §2.2: one type byte, a remaining length of
 * 1–4 bytes of 7 bits each, then that many bytes). `maxBytes()` is asked at each header. `tooLarge`
 * is called once, with the claimed size, just before the stream is destroyed; -1: malformed length.
 */
export function limitPacketSize(stream: Duplex, maxBytes: () => number, tooLarge: (claimed: number) => void): void {
  let state: 'type' | 'length' | 'body' = 'type'
  let length = 0, multiplier = 1, lengthBytes = 0, remaining = 0
  const refuse = (claimed: number) => {
    stream.off('data', follow)
    tooLarge(claimed)
    stream.destroy()
  }
  const follow = (chunk: Buffer) => {
    let i = 0
    while (i < chunk.length) {
      if (state === 'body') {
        const take = Math.min(remaining, chunk.length - i)
        remaining -= take
        i += take
        if (remaining === 0) state = 'type'
        continue
      }
      const byte = chunk[i++]!
      if (state === 'type') {
        state = 'length'
        length = 0
        multiplier = 1
        lengthBytes = 0
        continue
      }
      length += (byte & 0x7f) * multiplier
      multiplier *= 128
      lengthBytes++
      // §2.2.3: at most four length bytes
      if (byte & 0x80 && lengthBytes === 4) return refuse(-1)
      if (length > maxBytes()) return refuse(length)
      if (byte & 0x80) continue
      remaining = length
      state = remaining === 0 ? 'type' : 'body'
    }
  }
  stream.on('data', follow)
}
