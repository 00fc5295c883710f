import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, exportSPKI, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { redactRedisUrl } from '../src/config.js'
import { helpText, parseConfig } from '../src/index.js'

describe('parseConfig', () => {
  it('reads every option from flags', () => {
    const { options, redisUrl } = parseConfig([
      '--host=0.0.0.0',
      '--port',
      '9000',
      '--jwt-secret',
      's'.repeat(32),
      '--jwt-issuer',
      'iss',
      '--jwt-audience',
      'aud',
      '--cors-origin',
      'https://a.example',
      '--cors-origin',
      'https://b.example',
      '--heartbeat',
      '20s',
      '--retry',
      '1500ms',
      '--replay-max-events',
      '500',
      '--replay-max-age',
      '10m',
      '--max-connections',
      '100',
      '--max-connections-per-user',
      '3',
      '--max-buffered',
      '2mb',
      '--max-body',
      '128kb',
      '--publish-rate',
      '50',
      '--no-query-token',
      '--no-demo',
      '--redis',
      'redis://localhost:6379',
      '--log-level',
      'warn',
      '--shutdown-timeout',
      '3s',
      '--dev',
    ])
    expect(options).toEqual({
      host: '0.0.0.0',
      port: 9000,
      jwt: { secret: 's'.repeat(32), issuer: 'iss', audience: 'aud' },
      dev: true,
      corsOrigins: ['https://a.example', 'https://b.example'],
      heartbeatMs: 20_000,
      retryMs: 1500,
      replay: { maxEvents: 500, maxAgeMs: 600_000 },
      maxConnections: 100,
      maxConnectionsPerUser: 3,
      maxBufferedBytes: 2 * 1024 * 1024,
      maxBodyBytes: 128 * 1024,
      publishRate: 50,
      queryToken: false,
      demo: false,
      logLevel: 'warn',
      shutdownTimeoutMs: 3000,
    })
    expect(redisUrl).toBe('redis://localhost:6379')
  })

  it('reads every option from NOTIFY_* variables; a flag wins over its variable', () => {
    const env = {
      NOTIFY_HOST: '::',
      NOTIFY_PORT: '7000',
      NOTIFY_JWT_SECRET: 'e'.repeat(40),
      NOTIFY_CORS_ORIGINS: 'https://a.example, https://b.example',
      NOTIFY_HEARTBEAT: '5s',
      NOTIFY_RETRY: '2s',
      NOTIFY_REPLAY_MAX_EVENTS: '10',
      NOTIFY_REPLAY_MAX_AGE: '1h',
      NOTIFY_MAX_CONNECTIONS: '5',
      NOTIFY_MAX_CONNECTIONS_PER_USER: '2',
      NOTIFY_MAX_BUFFERED: '65536b',
      NOTIFY_MAX_BODY: '1kb',
      NOTIFY_PUBLISH_RATE: '9',
      NOTIFY_NO_QUERY_TOKEN: '1',
      NOTIFY_NO_DEMO: 'true',
      NOTIFY_REDIS_URL: 'redis://r:6379',
      NOTIFY_LOG_LEVEL: 'debug',
      NOTIFY_SHUTDOWN_TIMEOUT: '500ms',
      NOTIFY_DEV: 'false',
    }
    const { options, redisUrl } = parseConfig(['--port', '7001'], env)
    expect(options).toMatchObject({
      host: '::',
      port: 7001,
      jwt: { secret: 'e'.repeat(40) },
      dev: false,
      corsOrigins: ['https://a.example', 'https://b.example'],
      heartbeatMs: 5000,
      retryMs: 2000,
      replay: { maxEvents: 10, maxAgeMs: 3_600_000 },
      maxConnections: 5,
      maxConnectionsPerUser: 2,
      maxBufferedBytes: 65536,
      maxBodyBytes: 1024,
      publishRate: 9,
      queryToken: false,
      demo: false,
      logLevel: 'debug',
      shutdownTimeoutMs: 500,
    })
    expect(redisUrl).toBe('redis://r:6379')
  })

  it('reads a public key and a JWKS from files, a JWKS URL as is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-config-'))
    const { publicKey } = await generateKeyPair('ES256')
    const pem = await exportSPKI(publicKey)
    writeFileSync(join(dir, 'key.pem'), pem)
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [await exportJWK(publicKey)] }))
    expect(parseConfig(['--jwt-public-key', join(dir, 'key.pem')], {}).options.jwt?.publicKey).toBe(pem)
    expect(parseConfig([`--jwt-public-key=${pem}`], {}).options.jwt?.publicKey).toBe(pem)
    expect(parseConfig([], { NOTIFY_JWT_PUBLIC_KEY: pem }).options.jwt?.publicKey).toBe(pem)
    expect(parseConfig(['--jwks', join(dir, 'jwks.json')], {}).options.jwt?.jwks).toMatchObject({
      keys: [{ kty: 'EC' }],
    })
    expect(parseConfig(['--jwks', 'https://auth.example/jwks'], {}).options.jwt?.jwks).toBe(
      'https://auth.example/jwks',
    )
    writeFileSync(join(dir, 'bad.json'), '{"nokeys": 1}')
    expect(() => parseConfig(['--jwks', join(dir, 'bad.json')], {})).toThrow(/not a JWKS/)
    expect(() => parseConfig(['--jwt-public-key', join(dir, 'missing.pem')], {})).toThrow(/cannot read/)
  })

  it.each([
    [['--port', 'eighty'], /--port \(NOTIFY_PORT\).*integer/],
    [['--port', '-1'], /--port/],
    [['--heartbeat', 'soon'], /--heartbeat \(NOTIFY_HEARTBEAT\).*duration/],
    [['--heartbeat', '0s'], /--heartbeat/],
    [
      ['--heartbeat', '15'],
      /^--heartbeat \(NOTIFY_HEARTBEAT\) got "15": add a unit, e\.g\. 15s \(ms, s, m or h\)$/,
    ],
    [['--retry', '1'], /^--retry \(NOTIFY_RETRY\) got "1": add a unit, e\.g\. 1s/],
    [['--replay-max-age', '3600'], /^--replay-max-age \(NOTIFY_REPLAY_MAX_AGE\) got "3600": add a unit/],
    [['--shutdown-timeout', '10'], /^--shutdown-timeout \(NOTIFY_SHUTDOWN_TIMEOUT\) got "10": add a unit/],
    [['--heartbeat', '500ms'], /^--heartbeat \(NOTIFY_HEARTBEAT\) got "500ms": must be at least 1s$/],
    [['--heartbeat', '0.5s'], /must be at least 1s/],
    [
      ['--max-body', '64'],
      /^--max-body \(NOTIFY_MAX_BODY\) got "64": add a unit: 64b \(bytes\), 64kb or 64mb \(1kb = 1024b\)$/,
    ],
    [['--max-buffered', '1048576'], /^--max-buffered \(NOTIFY_MAX_BUFFERED\) got "1048576": add a unit/],
    [['--max-body', 'big'], /--max-body.*size/],
    [['--log-level', 'loud'], /--log-level/],
    [['--unknown'], /Unknown option '--unknown'.*--help/],
    [['positional'], /positional/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message)
  })

  it('refuses a bad value from the environment, naming the variable', () => {
    expect(() => parseConfig([], { NOTIFY_PORT: 'x' })).toThrow(/NOTIFY_PORT/)
    expect(() => parseConfig([], { NOTIFY_HEARTBEAT: '15' })).toThrow(
      /NOTIFY_HEARTBEAT.*add a unit, e\.g\. 15s/,
    )
    expect(() => parseConfig([], { NOTIFY_MAX_BODY: '65536' })).toThrow(/NOTIFY_MAX_BODY.*add a unit/)
  })

  it('accepts durations and sizes with a unit, and a heartbeat of exactly 1s', () => {
    const { options } = parseConfig(['--heartbeat', '1s', '--retry', '1ms', '--max-body', '512b'], {})
    expect(options).toMatchObject({ heartbeatMs: 1000, retryMs: 1, maxBodyBytes: 512 })
    expect(parseConfig(['--heartbeat', '1000ms', '--replay-max-age', '1.5h'], {}).options).toMatchObject({
      heartbeatMs: 1000,
      replay: { maxAgeMs: 5_400_000 },
    })
  })

  it('reads boolean variables as 1/true/yes/on or 0/false/no/off only, and refuses anything else', () => {
    for (const on of ['1', 'true', 'YES', 'On']) {
      expect(parseConfig([], { NOTIFY_DEV: on, NOTIFY_NO_DEMO: on }).options).toMatchObject({
        dev: true,
        demo: false,
      })
    }
    for (const off of ['0', 'False', 'no', 'OFF']) {
      const { options } = parseConfig([], { NOTIFY_DEV: off, NOTIFY_NO_DEMO: off })
      expect(options.dev).toBe(false)
      expect(options.demo).toBeUndefined()
    }
    for (const [name, value] of [
      ['NOTIFY_DEV', 'maybe'],
      ['NOTIFY_NO_QUERY_TOKEN', 'enabled'],
      ['NOTIFY_NO_DEMO', '2'],
    ] as const) {
      expect(() => parseConfig([], { [name]: value })).toThrow(
        new RegExp(`^${name} got "${value}": use 1, true, yes or on .* 0, false, no or off`),
      )
    }
  })

  it('refuses a --redis URL that does not parse, naming --redis and never echoing the password', () => {
    for (const bad of [
      'redis://default:hunter2@[::1',
      'redis://default:hunter2@',
      'localhost:6379',
      'http://default:hunter2@127.0.0.1:6379',
    ]) {
      let message = ''
      try {
        parseConfig(['--redis', bad], {})
      } catch (error) {
        message = (error as Error).message
      }
      expect(message, bad).toMatch(/^--redis \(NOTIFY_REDIS_URL\) is not a valid Redis URL/)
      expect(message).not.toContain('hunter2')
    }
    expect(() => parseConfig([], { NOTIFY_REDIS_URL: 'nope' })).toThrow(/--redis \(NOTIFY_REDIS_URL\)/)
    expect(parseConfig(['--redis', 'rediss://u:p@ss@redis.example:6380/2'], {}).redisUrl).toBe(
      'rediss://u:p@ss@redis.example:6380/2',
    )
  })
})

describe('redactRedisUrl', () => {
  it('replaces the whole password, keeps the user name, leaves a URL without one alone', () => {
    expect(redactRedisUrl('redis://default:p@ssw0rd@127.0.0.1:6399')).toBe(
      'redis://default:***@127.0.0.1:6399',
    )
    expect(redactRedisUrl('redis://:s3cret:with:colons@h:6379/1')).toBe('redis://:***@h:6379/1')
    expect(redactRedisUrl('rediss://u:p%40ss@redis.example')).toBe('rediss://u:***@redis.example')
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379')
    expect(redactRedisUrl('redis://alice@127.0.0.1:6379')).toBe('redis://alice@127.0.0.1:6379')
  })
})

describe('helpText', () => {
  it('documents every flag with its environment variable', () => {
    const help = helpText()
    for (const flag of [
      'host',
      'port',
      'jwt-secret',
      'jwt-public-key',
      'jwks',
      'jwt-issuer',
      'jwt-audience',
      'cors-origin',
      'heartbeat',
      'retry',
      'replay-max-events',
      'replay-max-age',
      'max-connections',
      'max-connections-per-user',
      'max-buffered',
      'max-body',
      'publish-rate',
      'no-query-token',
      'no-demo',
      'redis',
      'log-level',
      'shutdown-timeout',
      'dev',
      'help',
      'version',
    ]) {
      expect(help).toContain(`--${flag}`)
    }
    expect(help.match(/env NOTIFY_[A-Z_]+/g)).toHaveLength(23)
  })
})
