// The response chain, pure (docs/domain.md#response-chain): broker/ wires it to stores and channels.
export * from './types.ts'
export * from './policy.ts'
export * from './engine.ts'
export * from './kpi.ts'
