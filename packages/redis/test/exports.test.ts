import { expect, it } from 'vitest'

it('the public surface of @notify/redis', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "redisBackplane",
      "redisPresence",
      "redisReplayStore",
    ]
  `)
})
