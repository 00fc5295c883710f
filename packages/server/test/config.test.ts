import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exportJWK, exportSPKI, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
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
      NOTIFY_MAX_BUFFERED: '65536',
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
    [['--max-body', 'big'], /--max-body.*size/],
    [['--log-level', 'loud'], /--log-level/],
    [['--unknown'], /Unknown option '--unknown'.*--help/],
    [['positional'], /positional/],
  ])('refuses %j with a message naming the flag', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(message)
  })

  it('refuses a bad value from the environment, naming the variable', () => {
    expect(() => parseConfig([], { NOTIFY_PORT: 'x' })).toThrow(/NOTIFY_PORT/)
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
