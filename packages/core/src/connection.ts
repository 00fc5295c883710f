import type { ConnectionInfo, DisconnectReason, Principal } from './types.js'

/**
 * Where a connection's bytes go: implemented once per runtime by the adapters
 * (`node:http` response, web `ReadableStream`). Custom adapters implement it too.
 */
export interface Sink {
  /**
   * Writes the chunks in order, as one write where the runtime allows (Node: one `writev`).
   * The hub empties and reuses the array once this returns: keep the chunks if needed, never the array.
   */
  write(chunks: readonly Uint8Array[]): void
  /** Bytes written but still queued in user land (Node: `res.writableLength`; web: the stream's queue). */
  bufferedBytes(): number
  /** Ends the response after what is queued (hub closed, expiry, client gone). Called at most once. */
  end(): void
  /**
   * Drops the transport at once, queued bytes included (slow consumer, write error). Without it
   * the hub calls `end()`, which waits for a peer that may never read: implement it.
   */
  abort?(): void
  /**
   * Resolves when the queue has drained (Node: `'drain'`; web: the next pull). Lets a long
   * replay go out page by page at the reader's pace; without it the replay is written at once
   * and may trip `maxBufferedBytes`.
   */
  drained?(): Promise<void>
}

/** A handle on one open stream, returned by `hub.connect()`. */
export interface ConnectionHandle {
  /** Unique per hub. */
  readonly id: number
  /** Ends the stream (default reason `client`, which an adapter reports when the peer went away). */
  close(reason?: DisconnectReason): void
  /** Resolves with the reason once the stream has ended, however it ended. */
  readonly closed: Promise<DisconnectReason>
}

type State = 'opening' | 'live' | 'closed'

/** One subscriber: its queued frames for this tick, its resume cursor and its close reason. */
export class Connection implements ConnectionHandle {
  state: State = 'opening'
  /** Frames queued this tick, written together by the hub's flush. */
  pending: Uint8Array[] = []
  /** Live entries that arrived while the opening sequence was being read. */
  held: { id: string; bytes: Uint8Array }[] = []
  /** While set, live entries at or before this log position are skipped (already replayed). */
  cursor: string | undefined
  lastWriteAt = 0
  /** Delivery stamp: stops a multi-topic event from reaching this connection twice. */
  stamp = 0
  readonly info: ConnectionInfo
  readonly topicSet: ReadonlySet<string>
  readonly closed: Promise<DisconnectReason>
  private resolveClosed!: (reason: DisconnectReason) => void

  constructor(
    readonly id: number,
    readonly sink: Sink,
    readonly principal: Principal,
    readonly topics: readonly string[],
    lastEventId: string | undefined,
    private readonly onClose: (connection: Connection, reason: DisconnectReason) => void,
  ) {
    this.topicSet = new Set(topics)
    this.info = { connectionId: id, principal, topics, lastEventId }
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
  }

  close(reason: DisconnectReason = 'client'): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.pending = []
    this.held = []
    this.onClose(this, reason)
    this.resolveClosed(reason)
  }
}
