// The MQTT host's error table (STYLE rule 9).
export const MqttErrorCode = {
  Listen: 'LW_ERR_MQTT_LISTEN',         // a listener could not bind (data: listener, host, port)
  TlsFile: 'LW_ERR_MQTT_TLS_FILE',      // a certificate, key or CA file could not be read (data: file)
  Tls: 'LW_ERR_MQTT_TLS',               // the files were read but do not make a TLS context
  PasswordHash: 'LW_ERR_PASSWORD_HASH', // a stored hash is not scrypt$N$r$p$salt$hash with sane parameters
} as const
export type MqttErrorCode = (typeof MqttErrorCode)[keyof typeof MqttErrorCode]

export class MqttError extends Error {
  override readonly name = 'MqttError'
  constructor(readonly code: MqttErrorCode, message: string, readonly data: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
  }
}
