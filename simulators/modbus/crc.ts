// Modbus over Serial Line V1.02 §6.2.2: CRC-16, reflected polynomial 0xA001, initial value 0xFFFF.
// The CRC goes on the wire low byte first (§2.5.1.2), i.e. `buf.writeUInt16LE(crc16(...))`.

const TABLE = buildTable()

function buildTable(): Uint16Array {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1
    table[n] = c
  }
  return table
}

export function crc16(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = 0xffff
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ buf[i]!) & 0xff]!
  return crc
}
