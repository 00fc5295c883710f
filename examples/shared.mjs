// What the three examples share, so they differ only in their framework code: the page served on
// GET / (the browser's native EventSource on /events and a form that POSTs to /publish), a tick
// every 2 s, and a clean shutdown on SIGINT/SIGTERM.

/** @param {string} title - the framework's name, shown in the title and heading */
export function examplePage(title) {
  return `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>notify · ${title}</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; max-width: 50rem }
  #log { font-family: ui-monospace, monospace; font-size: 13px; white-space: pre-wrap }
  #status.open { color: green } #status.error { color: crimson }
  form { margin: 1rem 0 } input { font: inherit; width: 10rem }
</style>
<h1>notify · ${title}</h1>
<p>Stream <code id="url"></code>: <b id="status">connecting</b></p>
<form id="form">
  <input name="topic" value="demo" aria-label="topic">
  <input name="event" value="hello" aria-label="event">
  <input name="data" value='{"text":"hi"}' aria-label="data (JSON)">
  <button>publish</button>
</form>
<div id="log"></div>
<script type="module">
  // Topics of this page: ?topic=a&topic=b in the page's own URL, else "demo".
  const topics = new URLSearchParams(location.search).getAll('topic')
  const url = '/events?' + new URLSearchParams((topics.length ? topics : ['demo']).map((t) => ['topic', t]))
  document.getElementById('url').textContent = url
  const status = document.getElementById('status')
  const log = document.getElementById('log')
  const show = (e) => {
    const line = document.createElement('div')
    line.className = 'event'
    line.textContent = new Date().toLocaleTimeString() + '  ' + e.type + '  id=' + e.lastEventId + '  ' + e.data
    log.prepend(line)
  }
  // The browser's EventSource resumes with Last-Event-ID by itself after a drop.
  const source = new EventSource(url)
  const listening = new Set()
  const listen = (name) => {
    if (listening.has(name)) return
    listening.add(name)
    source.addEventListener(name, show)
  }
  for (const name of ['message', 'tick', 'hello', 'notify:reset']) listen(name)
  const setStatus = (text) => {
    status.textContent = text
    status.className = text === 'open' ? 'open' : 'error'
  }
  source.onopen = () => setStatus('open')
  source.onerror = () => setStatus('reconnecting')
  document.getElementById('form').onsubmit = async (e) => {
    e.preventDefault()
    const f = new FormData(e.target)
    listen(f.get('event'))
    let data = f.get('data')
    try { data = JSON.parse(data) } catch {}
    const res = await fetch('/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: f.get('topic'), event: f.get('event'), data }),
    })
    if (!res.ok) alert(await res.text())
  }
</script>
</html>
`
}

/**
 * Publishes a `tick` to the `demo` topic every 2 s, and on SIGINT/SIGTERM stops it, ends every
 * stream with `hub.close()` (clients reconnect elsewhere) and stops accepting connections.
 *
 * @param {import('@notify/core').Hub} hub
 * @param {import('node:http').Server} server
 */
export function tickAndShutdown(hub, server) {
  let n = 0
  const ticker = setInterval(() => {
    hub
      .publish('demo', 'tick', { n: ++n, at: new Date().toISOString() })
      .catch((error) => console.error(error))
  }, 2000)
  async function shutdown(signal) {
    console.log(`${signal}: closing`)
    clearInterval(ticker)
    await hub.close()
    server.close()
    server.closeAllConnections?.()
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
