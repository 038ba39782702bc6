// The gateway's error table (docs/architecture.md#conventions, rule 9): every failure carries a code and the data to find it.
import { errorClass, type CodeOf } from '../core/errors.ts'

export const GatewayErrorCode = {
  ModbusTimeout: 'LW_ERR_MODBUS_TIMEOUT',       // no answer within the request timeout
  ModbusException: 'LW_ERR_MODBUS_EXCEPTION',   // the unit answered with an exception (data.exceptionCode)
  ModbusFrame: 'LW_ERR_MODBUS_FRAME',           // garbage or a wrong-length answer
  ModbusRequest: 'LW_ERR_MODBUS_REQUEST',       // a read outside Modbus limits (unit id, address, quantity): a caller bug
  LinkDown: 'LW_ERR_LINK_DOWN',                 // the link is not connected (reconnecting)
  LinkStopped: 'LW_ERR_LINK_STOPPED',           // the link was stopped while the request waited
  Internal: 'LW_ERR_INTERNAL',                  // an error nobody expected (a bug), kept as the cause
  Profile: 'LW_ERR_PROFILE',                    // a profile file is missing or invalid
  Outbox: 'LW_ERR_OUTBOX',                      // the on-disk outbox failed
  Mqtt: 'LW_ERR_MQTT',                          // broker connection or publish failure
} as const
export type GatewayErrorCode = CodeOf<typeof GatewayErrorCode>

export class GatewayError extends errorClass('GatewayError', GatewayErrorCode) {}
