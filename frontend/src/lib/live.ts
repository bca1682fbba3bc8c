// Live updates (SPEC §4): server-sent events from GET /api/admin/stream in a
// browser, Wails events of the same names and data in the desktop window.
// One connection is shared by every page that listens; events are gathered
// and handed over at most once per flushEvery, so a burst of thousands of
// deliveries costs a page a few updates, not thousands.
import { EventsOn } from '../../wailsjs/runtime/runtime'
import type { Attempt, Settings } from './types'

/** A delivery event: an attempt was recorded (backend/live.Delivery). */
export interface LiveDelivery {
  deliveryId: number
  attemptId: number
  webhookId: number
  messageId: string
  attempt: number
  event: string
  outcome: 'succeeded' | 'failed' | 'retrying'
  responseCode: number
  durationMs: number
  nextRetryAt: string | null
  createdAt: string
  test: boolean
}

/** A webhook event (backend/live.WebhookChange). */
export interface LiveWebhook {
  id: number
  change: 'created' | 'updated' | 'disabled' | 'deleted'
  reason: string
  /** The webhook's updatedAt after the change; absent for a deletion. */
  updatedAt?: string
}

export interface LiveHandlers {
  /** New attempts since the last call, oldest first (at most maxQueued). */
  delivery?: (batch: LiveDelivery[]) => void
  webhook?: (batch: LiveWebhook[]) => void
  settings?: (s: Settings) => void
  /** Events were missed (the server dropped some, or the connection broke): read the state again. */
  resync?: () => void
}

/** flushEvery is the least time between two hand-overs. */
export const flushEvery = 250
/** maxQueued bounds the deliveries held between hand-overs; beyond it the page resyncs instead. */
export const maxQueued = 500

/**
 * Coalescer gathers events and hands them over at most once per interval.
 * It is apart from the transport so that it can be tested alone.
 */
export class Coalescer {
  private deliveries: LiveDelivery[] = []
  private webhooks: LiveWebhook[] = []
  private settings: Settings | null = null
  private overflow = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private last = 0

  constructor(
    private readonly flush: (d: LiveDelivery[], w: LiveWebhook[], s: Settings | null, resync: boolean) => void,
    private readonly every = flushEvery,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(name: string, data: unknown) {
    switch (name) {
      case 'delivery':
        if (this.deliveries.length >= maxQueued) this.overflow = true
        else this.deliveries.push(data as LiveDelivery)
        break
      case 'webhook':
        this.webhooks.push(data as LiveWebhook)
        break
      case 'settings':
        this.settings = data as Settings
        break
      case 'resync':
        this.overflow = true
        break
      default:
        return
    }
    this.schedule()
  }

  private schedule() {
    if (this.timer !== null) return
    const wait = Math.max(0, this.last + this.every - this.now())
    this.timer = setTimeout(() => this.run(), wait)
  }

  run() {
    this.timer = null
    this.last = this.now()
    const resync = this.overflow
    // After a resync the page reads everything again: the queued deliveries add nothing.
    const d = resync ? [] : this.deliveries
    const w = this.webhooks
    const s = this.settings
    this.deliveries = []
    this.webhooks = []
    this.settings = null
    this.overflow = false
    this.flush(d, w, s, resync)
  }
}

const listeners = new Set<LiveHandlers>()
let stop: (() => void) | null = null

const coalescer = new Coalescer((d, w, s, resync) => {
  for (const h of listeners) {
    if (resync) h.resync?.()
    else if (d.length) h.delivery?.(d)
    if (w.length) h.webhook?.(w)
    if (s) h.settings?.(s)
  }
})

const names = ['delivery', 'webhook', 'settings', 'resync']

function connect(): () => void {
  if (typeof (window as unknown as { go?: unknown }).go !== 'undefined') {
    const offs = names.map((n) => EventsOn(n, (data?: unknown) => coalescer.push(n, data ?? {})))
    return () => offs.forEach((off) => off())
  }
  const es = new EventSource('/api/admin/stream')
  let opened = false
  es.onopen = () => {
    // A reconnection may have missed events.
    if (opened) coalescer.push('resync', {})
    opened = true
  }
  for (const n of names) {
    es.addEventListener(n, (e) => {
      try {
        coalescer.push(n, JSON.parse((e as MessageEvent<string>).data))
      } catch {
        // not JSON: not ours
      }
    })
  }
  return () => es.close()
}

/** listen registers handlers until the returned function is called; the connection lives while anyone listens. */
export function listen(h: LiveHandlers): () => void {
  listeners.add(h)
  if (!stop) stop = connect()
  return () => {
    listeners.delete(h)
    if (listeners.size === 0 && stop) {
      stop()
      stop = null
    }
  }
}

/** asAttempt is a delivery event as a row of the deliveries table (the viewer loads the rest). */
export function asAttempt(d: LiveDelivery, url: string): Attempt {
  return {
    id: d.attemptId,
    deliveryId: d.deliveryId,
    webhookId: d.webhookId,
    messageId: d.messageId,
    attempt: d.attempt,
    event: d.event,
    url,
    requestHeaders: {},
    requestBody: '',
    responseCode: d.responseCode,
    responseHeaders: {},
    responseBody: '',
    error: '',
    durationMs: d.durationMs,
    nextRetryAt: d.nextRetryAt,
    test: d.test,
    createdAt: d.createdAt,
  } as Attempt
}

/** mergeNewest puts new rows into a newest-first list (replacing rows of the same id) and keeps at most cap. */
export function mergeNewest(rows: Attempt[], fresh: Attempt[], cap: number): Attempt[] {
  const byId = new Map<number, Attempt>()
  for (const r of rows) byId.set(r.id, r)
  for (const r of fresh) byId.set(r.id, r)
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, cap)
}
