// @ts-check
// The shapes the board reads, taken from the server's zod schemas (types only: nothing of the server loads here).

/** @typedef {import('zod').infer<typeof import('../src/schemas.ts').AgentSchema>} Agent */
/** @typedef {import('zod').infer<typeof import('../src/schemas.ts').AgentPageSchema>} AgentPage */
/** @typedef {import('zod').infer<typeof import('../src/schemas.ts').TransitionSchema>} Transition */
/** @typedef {Agent['state']} AgentState */
/** @typedef {import('../src/detect/types.ts').DetectionTrace} DetectionTrace */

/**
 * The board's filters; '' means any.
 * @typedef {{ state: string, kind: string, session: string, monitor: string, text: string }} Filter
 */

export {};
