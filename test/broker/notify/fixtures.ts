// One outbox item per channel with a zh-CN message as broker/incidents/render.ts would write it.
import type { ChannelKind } from '../../../broker/parties/schema.ts'
import type { Message, OutboxItem } from '../../../broker/notify/types.ts'

export const LINK = 'http://127.0.0.1:8080/r/AbCdEf123456'

export const sampleMessage: Message = {
  title: '【电梯困人】沙河路18号 3号楼 1单元',
  text: [
    '【电梯困人】沙河路18号 3号楼 1单元',
    '地址：嵊泗县菜园镇沙河路18号 3号楼 1单元 东侧电梯',
    '救援码：31256 · 困人报警 10:42',
    `接警处置：${LINK}`,
    '请维保单位 30 分钟内到达现场。',
  ].join('\n'),
  markdown: `**【电梯困人】沙河路18号 3号楼 1单元**\n\n救援码：31256\n\n[接警处置](${LINK})`,
  mobiles: ['13800000001'],
  sms: { address: '沙河路18号3号楼1单元', code: '31256', link: 'r/AbCdEf123456' },
  link: LINK,
  facts: { elevatorId: '31103309222024010001', rescueCode: '31256', kind: 'entrapment' },
}

export function sampleItem(channel: ChannelKind, overrides: Partial<OutboxItem> = {}): OutboxItem {
  const endpointId = overrides.endpointId ?? `${channel}-1`
  return {
    id: `inc-1/n-1/${endpointId}${channel === 'sms' ? '/13800000001' : ''}`,
    incidentId: 'inc-1',
    notificationId: 'n-1',
    role: 'maintenance',
    partyId: 'zs-lift-service',
    partyName: '舟山某电梯维保有限公司',
    channel,
    endpointId,
    ...(channel === 'sms' ? { to: '13800000001' } : {}),
    message: sampleMessage,
    drill: false,
    createdAt: 1_700_000_000_000,
    state: 'pending',
    attempts: 0,
    nextAt: 1_700_000_000_000,
    ...overrides,
  }
}
