// The MQTT host's error table (docs/architecture.md#conventions, rule 9).
import { errorClass, type CodeOf } from '../../core/errors.ts'

export const MqttErrorCode = {
  Listen: 'LW_ERR_MQTT_LISTEN',         // a listener could not bind (data: listener, host, port)
  TlsFile: 'LW_ERR_MQTT_TLS_FILE',      // a certificate, key or CA file could not be read (data: file)
  Tls: 'LW_ERR_MQTT_TLS',               // the files were read but do not make a TLS context
  PasswordHash: 'LW_ERR_PASSWORD_HASH', // a stored hash is not scrypt$N$r$p$salt$hash with sane parameters
} as const
export type MqttErrorCode = CodeOf<typeof MqttErrorCode>

export class MqttError extends errorClass('MqttError', MqttErrorCode) {}
