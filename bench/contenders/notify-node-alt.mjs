// notify-node again, but with @notify/core loaded from another build: NOTIFY_CORE_ALT=<core package dir>
// (a checkout with a change under test, built with its dist/). For before/after in one run:
//   NOTIFY_CORE_ALT=/path/to/core pnpm bench --contenders raw,notify-node,notify-node-alt
import { startWith } from './notify-node.mjs'

export const name = 'notify-node-alt'

const dir = process.env.NOTIFY_CORE_ALT
if (!dir) throw new Error('notify-node-alt needs NOTIFY_CORE_ALT=<directory of a built @notify/core>')
const { createHub } = await import(`${dir}/dist/index.js`)
const { sse } = await import(`${dir}/dist/node.js`)

export function start() {
  return startWith(createHub, sse)
}
