// The demo page: a small notification center on @notify/client. Bundled into dist/demo/main.js at build time.
import { type ClientStatus, createClient, type NotifyClient } from '@notify/client'

interface Identity {
  token: string
  sub: string
}

const STATUS_TEXT: Record<ClientStatus, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
}
const TOKEN_KEY = 'notify-demo-token'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

const SUB_KEY = 'notify-demo-sub'

async function identify(): Promise<Identity | undefined> {
  // Dev mode only: the server hands out a demo token. Any other server answers 404 here.
  // The name sticks for this tab, so a reload (or a token refresh) keeps the same user:<sub>.
  const sub = new URLSearchParams(location.search).get('sub') ?? sessionStorage.getItem(SUB_KEY)
  const response = await fetch(`/dev/token${sub === null ? '' : `?sub=${encodeURIComponent(sub)}`}`)
  if (response.ok) {
    const body = (await response.json()) as { token: string; sub: string }
    sessionStorage.setItem(SUB_KEY, body.sub)
    return { token: body.token, sub: body.sub }
  }
  const saved = sessionStorage.getItem(TOKEN_KEY)
  if (saved !== null) return { token: saved, sub: subjectOf(saved) }
  return undefined
}

function subjectOf(token: string): string {
  try {
    const payload = token.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    return String((JSON.parse(json) as { sub?: unknown }).sub ?? '?')
  } catch {
    return '?'
  }
}

function askForToken(): void {
  setStatus('closed')
  const form = $<HTMLFormElement>('login')
  form.hidden = false
  $('app').hidden = true
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const token = $<HTMLTextAreaElement>('token-input').value.trim()
    if (token === '') return
    sessionStorage.setItem(TOKEN_KEY, token)
    location.reload()
  })
}

function setStatus(status: ClientStatus): void {
  const badge = $('status')
  badge.dataset.status = status
  badge.textContent = STATUS_TEXT[status]
}

function describe(event: string, data: unknown): { title: string; text: string } {
  if (typeof data === 'object' && data !== null) {
    const record = data as Record<string, unknown>
    const title = typeof record.title === 'string' ? record.title : event
    const text =
      typeof record.body === 'string'
        ? record.body
        : typeof record.text === 'string'
          ? record.text
          : JSON.stringify(data)
    return { title, text }
  }
  return { title: event, text: typeof data === 'string' ? data : JSON.stringify(data) }
}

function show(event: string, data: unknown, id: string, missed: boolean): void {
  const { title, text } = describe(event, data)
  const item = document.createElement('li')
  item.dataset.id = id
  item.dataset.event = event
  if (missed) item.classList.add('missed')
  const head = document.createElement('span')
  head.className = 'title'
  head.textContent = title
  const tag = document.createElement('span')
  tag.className = 'tag'
  const to = typeof data === 'object' && data !== null ? (data as { to?: unknown }).to : undefined
  tag.textContent = typeof to === 'string' ? `${event} → ${to}` : event
  head.append(tag)
  const meta = document.createElement('span')
  meta.className = 'meta'
  meta.textContent = new Date().toLocaleTimeString()
  meta.title = `event id ${id}`
  const body = document.createElement('span')
  body.className = 'text'
  body.textContent = text
  item.append(head, meta, body)
  const list = $('list')
  list.prepend(item)
  $('empty').hidden = true
  $('count').textContent = String(list.children.length)
}

function showResume(text: string, reset = false): void {
  const line = $('resume')
  line.textContent = text
  line.classList.toggle('reset', reset)
  line.hidden = false
}

function connect(me: Identity): NotifyClient {
  const client = createClient('/events', {
    headers: () => ({ authorization: `Bearer ${me.token}` }),
    topics: ['demo'],
    // The token expired (or the dev server restarted with a new secret): in dev mode get a fresh
    // one and retry at once; otherwise ask for a new token.
    onUnauthorized: async () => {
      const fresh = await identify().catch(() => undefined)
      if (fresh !== undefined && fresh.token !== me.token && fresh.sub === me.sub) {
        me.token = fresh.token
        return true
      }
      sessionStorage.removeItem(TOKEN_KEY)
      askForToken()
      return false
    },
  })
  // Counting missed events: after a reconnect the server sends, in one write, the events the page
  // missed and then an id-only frame with its position. Both are parsed in the same task, so every
  // event received before the next macrotask (or before the position moves) came from the log.
  let resuming: { from: string; count: number; since: number } | undefined
  let dropped = false
  const settle = () => {
    if (resuming === undefined) return
    const moved = client.lastEventId !== resuming.from
    if (resuming.count === 0 && !moved && Date.now() - resuming.since < 1000) {
      setTimeout(settle, 0)
      return
    }
    const { count } = resuming
    resuming = undefined
    showResume(
      count === 0
        ? 'Resumed, no events missed'
        : `Resumed, ${count} missed event${count === 1 ? '' : 's'} delivered`,
    )
  }
  client.onStatus((status, previous) => {
    setStatus(status)
    if (status === 'reconnecting' && previous === 'open') dropped = true
    if (status === 'open' && dropped) {
      dropped = false
      resuming = { from: client.lastEventId, count: 0, since: Date.now() }
      setTimeout(settle, 0)
    }
  })
  client.onAny(({ event, data, id }) => {
    if (resuming !== undefined) resuming.count++
    show(event, data, id, resuming !== undefined)
  })
  client.onReset((reset) => {
    resuming = undefined
    showResume(`Could not resume (${reset.reason}): some events may be missing, reload to be sure`, true)
  })
  client.onError((error) => console.warn('[notify]', error.code, error.message))
  return client
}

function setUpPublishing(me: Identity): void {
  const form = $<HTMLFormElement>('publish')
  const result = $('publish-result')
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const to = (new FormData(form).get('to') ?? 'me') as string
    const topic =
      to === 'me'
        ? `user:${me.sub}`
        : to === 'everyone'
          ? 'broadcast'
          : $<HTMLInputElement>('topic').value.trim()
    const data = {
      title: $<HTMLInputElement>('title').value,
      body: $<HTMLInputElement>('body').value,
      to: topic,
    }
    result.className = 'result'
    result.textContent = 'Sending…'
    try {
      const response = await fetch('/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${me.token}` },
        body: JSON.stringify({ topic, event: 'notification', data }),
      })
      const body = (await response.json()) as { ids?: string[]; error?: { code: string; message: string } }
      if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`)
      result.textContent = `Published to ${topic} as ${body.ids?.[0] ?? '?'}`
    } catch (error) {
      result.className = 'result error'
      result.textContent = `Not sent: ${(error as Error).message}`
    }
  })
  $('curl').textContent = [
    `curl -X POST ${location.origin}/publish \\`,
    `  -H 'Authorization: Bearer ${me.token}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '{"topic":"user:${me.sub}","event":"notification","data":{"title":"From curl","body":"Hi!"}}'`,
  ].join('\n')
}

async function main(): Promise<void> {
  const me = await identify()
  if (me === undefined) return askForToken()
  $('app').hidden = false
  $('me').textContent = me.sub
  $('me-topic').textContent = `user:${me.sub}`
  $('topics').textContent = `Subscribed to user:${me.sub}, broadcast and demo.`
  setUpPublishing(me)
  connect(me)
}

main().catch((error: unknown) => {
  setStatus('closed')
  showResume(`The demo could not start: ${(error as Error).message}`, true)
})
