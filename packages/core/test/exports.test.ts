import { describe, expect, it } from 'vitest'

// The public surface of each entry point: a change here is a change users see.
describe('exports', () => {
  it('@notify/core', async () => {
    expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
      [
        "MAX_EVENT_ID_LENGTH",
        "MAX_NAME_LENGTH",
        "NOTIFY_ERROR_CODES",
        "NOTIFY_ERROR_STATUS",
        "NotifyError",
        "RESERVED_PREFIX",
        "RESET_EVENT",
        "STREAM_HEADERS",
        "admit",
        "assertEventName",
        "assertKey",
        "assertTopic",
        "createHub",
        "encodeEvent",
        "isNotifyError",
        "memoryReplayStore",
        "normaliseTopics",
        "refuse",
        "validateWithSchema",
      ]
    `)
  })
  it.each(['node', 'express', 'hono', 'web'])('@notify/core/%s', async (entry) => {
    const module = (await import(`../src/adapters/${entry}.ts`)) as Record<string, unknown>
    expect(Object.keys(module)).toEqual(['sse'])
  })
})
