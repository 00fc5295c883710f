#!/usr/bin/env node
import { createRequire } from 'node:module'
import { type Backplane, isNotifyError } from '@notify/core'
import { redisBackplane } from '@notify/redis'
import { pino } from 'pino'
import { createServer, type NotifyServer } from './app.js'
import { helpText, parseConfig, redactRedisUrl } from './config.js'

// The CLI: flags and NOTIFY_* variables → createServer → listen; SIGTERM/SIGINT → graceful close, exit 0.
async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>
  try {
    config = parseConfig(process.argv.slice(2))
  } catch (error) {
    fail(error)
  }
  if (config.help) {
    process.stdout.write(`${helpText()}\n`)
    return
  }
  if (config.version) {
    const { version } = createRequire(import.meta.url)('../package.json') as { version: string }
    process.stdout.write(`${version}\n`)
    return
  }
  const { options, redisUrl } = config
  const logger = pino({ level: options.logLevel ?? 'info', base: { service: 'notify' } })

  let notify: NotifyServer
  let url: string
  try {
    let backplane: Backplane | undefined
    if (redisUrl !== undefined) {
      backplane = redisBackplane(
        { url: redisUrl },
        { replay: options.replay, onError: (error) => logger.warn({ err: error }, 'redis backplane') },
      )
      logger.info({ redis: redactRedisUrl(redisUrl) }, 'using the Redis backplane')
    }
    notify = createServer({ ...options, logger, backplane })
    url = await notify.listen()
  } catch (error) {
    fail(error)
  }
  if (notify.dev !== undefined) await printDevBanner(notify, url, options.host ?? '127.0.0.1')

  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: do not wait for slow clients any longer.
      notify.server.closeAllConnections()
      return
    }
    stopping = true
    notify.logger.info({ signal }, 'signal received')
    // Bounded even if something hangs: the timeout plus a margin, then out.
    setTimeout(() => process.exit(0), (options.shutdownTimeoutMs ?? 10_000) + 2000).unref()
    notify.close().then(
      () => process.exit(0),
      (error: unknown) => {
        notify.logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

async function printDevBanner(notify: NotifyServer, url: string, host: string): Promise<void> {
  const dev = notify.dev!
  const alice = await dev.token('alice', { subscribe: ['orders', 'demo', 'demo:*'] })
  const publisher = await dev.token('backend', { publish: ['*'] })
  const lines = [
    '',
    '  notify is running in DEVELOPMENT mode (--dev): never use it in production.',
    ...(['127.0.0.1', 'localhost', '::1'].includes(host)
      ? []
      : ['  WARNING: it listens beyond this machine, and GET /dev/token gives a token to anyone who asks.']),
    '',
    `  Demo page       ${url}/`,
    `  JWT secret      ${dev.secret}`,
    '',
    '  Subscriber token (sub "alice"; topics user:alice, broadcast, orders, demo, demo:*; 12 h):',
    `    ALICE=${alice}`,
    '  Publisher token (sub "backend"; may publish to every topic; 12 h):',
    `    PUB=${publisher}`,
    '',
    '  Try it:',
    `    curl -N -H "Authorization: Bearer $ALICE" '${url}/events?topic=orders'`,
    `    curl -H "Authorization: Bearer $PUB" -H 'content-type: application/json' \\`,
    `      -d '{"topic":"user:alice","event":"hello","data":{"text":"hi Alice"}}' ${url}/publish`,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

function fail(error: unknown): never {
  let message = isNotifyError(error) || error instanceof Error ? error.message : String(error)
  if ((error as { code?: unknown }).code === 'EADDRINUSE')
    message += ': choose another with --port (NOTIFY_PORT)'
  process.stderr.write(`notify: ${message}\n`)
  process.exit(2)
}

void main()
