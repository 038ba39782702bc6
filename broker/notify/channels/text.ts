// Cutting a message to a service's byte limit without splitting a character and without losing the
// responder link (docs/domain.md#notification-channels-outside-services: WeCom text ≤ 2,048 bytes).

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

/** The longest prefix of `s` within `max` UTF-8 bytes, ending on a whole character. */
export function cutUtf8(s: string, max: number): string {
  if (bytes(s) <= max) return s
  let used = 0
  let out = ''
  for (const ch of s) {
    const n = bytes(ch)
    if (used + n > max) break
    used += n
    out += ch
  }
  return out
}

/** `text` within `max` bytes; when cut, the middle goes and the line with `link` stays at the end. */
export function fitText(text: string, max: number, link?: string): string {
  if (bytes(text) <= max) return text
  const lines = text.split('\n')
  const linkLine = link ? lines.find((l) => l.includes(link)) ?? link : undefined
  const rest = linkLine !== undefined ? lines.filter((l) => l !== linkLine).join('\n') : text
  const tail = linkLine !== undefined ? `…\n${linkLine}` : '…'
  if (bytes(tail) >= max) return cutUtf8(tail.slice(2), max)
  return cutUtf8(rest, max - bytes(tail)) + tail
}
