// One API client, two transports: the Wails bindings inside the desktop
// window, fetch against the Hookpost server in a browser.
import type {
  Attempt,
  CreatedToken,
  Delivery,
  NewToken,
  PasswordChange,
  ProjectRef,
  ResourceDef,
  Settings,
  SettingsPatch,
  Stats,
  Token,
  User,
  Webhook,
  WebhookInput,
} from './types'
import { ApiError } from './errors'
import type { Outcome } from './outcome'
import * as App from '../../wailsjs/go/app/App'
import { WindowSetTitle, ClipboardSetText, BrowserOpenURL } from '../../wailsjs/runtime/runtime'

/** Which attempts a deliveries page lists; '' for all. */
export interface DeliveryFilter {
  outcome: Outcome | ''
  event: string
}

export interface Api {
  readonly mode: 'desktop' | 'browser'
  /** The signed-in user, or null when a browser must sign in first. */
  currentUser(): Promise<User | null>
  login(login: string, password: string): Promise<User>
  logout(): Promise<void>
  getSettings(): Promise<Settings>
  updateSettings(p: SettingsPatch): Promise<Settings>
  listTokens(): Promise<Token[]>
  createToken(t: NewToken): Promise<CreatedToken>
  revokeToken(id: number): Promise<void>
  /** Where the HTTP server answers (the API docs live there). */
  serverURL(): Promise<string>
  setTitle(title: string): void
  copy(text: string): Promise<void>
  /** Opens a URL in the system browser (desktop) or a new tab. */
  openExternal(url: string): void

  eventCatalogue(): Promise<ResourceDef[]>
  listWebhooks(): Promise<Webhook[]>
  getWebhook(id: number): Promise<Webhook>
  createWebhook(w: WebhookInput): Promise<Webhook>
  updateWebhook(id: number, w: WebhookInput): Promise<Webhook>
  deleteWebhook(id: number): Promise<void>
  /** Sends one signed sample of event now and answers the logged attempt. */
  testWebhook(id: number, event: string): Promise<Attempt>
  /**
   * A webhook's attempts, newest first: at most limit, older than the
   * attempt id before (0: newest), of one outcome and one event when they
   * are set (filtered by the server, so every page is full).
   */
  listDeliveries(webhookID: number, limit: number, before: number, filter?: DeliveryFilter): Promise<Attempt[]>
  redeliver(deliveryID: number): Promise<void>
  /** Queues every failed delivery since (ISO 8601) again; answers how many. */
  replay(webhookID: number, since: string): Promise<number>
  /**
   * Every project, for the webhook form's picker; null where this transport
   * cannot list them, so the form falls back to project ids.
   */
  listProjects(): Promise<ProjectRef[] | null>
  /** Attempts per time bucket since (ISO 8601; '' for 24 hours ago), for the chart. */
  webhookStats(webhookID: number, since: string): Promise<Stats>
  /** A delivery with its attempts, newest first. */
  getDelivery(id: number): Promise<Delivery>
  /** The delivery a receiver logged by its webhook-id header. */
  findDelivery(messageId: string): Promise<Delivery>
  /**
   * Changes the signed-in user's password. In the desktop window, which acts
   * as the local administrator, the current password is not asked for.
   */
  changePassword(p: PasswordChange): Promise<void>
}

/** cast is for the Wails promises, typed with the generated model classes. */
const cast = <T>(p: Promise<unknown>) => p as Promise<T>

async function viaBinding<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    throw ApiError.fromUnknown(err)
  }
}

export function bindingsApi(): Api {
  return {
    mode: 'desktop',
    currentUser: () => viaBinding(() => App.CurrentUser() as Promise<unknown> as Promise<User>),
    login: () => Promise.reject(new ApiError({ message: 'The desktop window needs no sign-in.' })),
    logout: () => Promise.resolve(),
    getSettings: () => viaBinding(() => App.GetSettings() as Promise<unknown> as Promise<Settings>),
    updateSettings: (p) => viaBinding(() => App.UpdateSettings(p as never) as Promise<unknown> as Promise<Settings>),
    listTokens: () => viaBinding(() => App.ListTokens() as Promise<unknown> as Promise<Token[]>),
    createToken: (t) => viaBinding(() => App.CreateToken(t as never) as Promise<unknown> as Promise<CreatedToken>),
    revokeToken: (id) => viaBinding(() => App.RevokeToken(id)),
    serverURL: () => viaBinding(() => App.ServerURL()),
    setTitle: (title) => WindowSetTitle(title),
    copy: async (text) => {
      await ClipboardSetText(text)
    },
    openExternal: (url) => BrowserOpenURL(url),
    eventCatalogue: () => viaBinding(() => cast<ResourceDef[]>(App.EventCatalogue())),
    listWebhooks: () => viaBinding(() => cast<Webhook[]>(App.ListWebhooks())),
    getWebhook: (id) => viaBinding(() => cast<Webhook>(App.GetWebhook(id))),
    createWebhook: (w) => viaBinding(() => cast<Webhook>(App.CreateWebhook(w as never))),
    updateWebhook: (id, w) => viaBinding(() => cast<Webhook>(App.UpdateWebhook(id, w as never))),
    deleteWebhook: (id) => viaBinding(() => App.DeleteWebhook(id)),
    testWebhook: (id, event) => viaBinding(() => cast<Attempt>(App.TestWebhook(id, event))),
    listDeliveries: (id, limit, before, f) => viaBinding(() => cast<Attempt[]>(App.ListDeliveries(id, limit, before, f?.outcome ?? '', f?.event ?? ''))),
    redeliver: (id) => viaBinding(() => App.Redeliver(id)),
    replay: (id, since) => viaBinding(() => App.ReplayWebhook(id, since)),
    listProjects: () => viaBinding(() => cast<ProjectRef[]>(App.ListProjects())),
    webhookStats: (id, since) => viaBinding(() => cast<Stats>(App.WebhookStats(id, since))),
    getDelivery: (id) => viaBinding(() => cast<Delivery>(App.GetDelivery(id))),
    findDelivery: (msg) => viaBinding(() => cast<Delivery>(App.FindDelivery(msg))),
    changePassword: (p) => viaBinding(() => App.ChangePassword(p as never)),
  }
}

export function fetchApi(base = ''): Api {
  let csrf = ''
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Authentication-Scheme': 'Session' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf
    let res: Response
    try {
      res = await fetch(base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      throw new ApiError({ message: `The Hookpost server could not be reached (${String(err)}).` })
    }
    if (res.status === 204) return undefined as T
    const text = await res.text()
    let data: unknown = undefined
    try {
      data = text ? JSON.parse(text) : undefined
    } catch {
      throw new ApiError({ message: `Unexpected answer from the server (HTTP ${res.status}).` }, res.status)
    }
    if (!res.ok) throw ApiError.fromUnknown(JSON.stringify(data ?? { message: `HTTP ${res.status}` }), res.status)
    return data as T
  }
  interface SessionBody {
    user: User
    csrfToken: string
  }
  return {
    mode: 'browser',
    async currentUser() {
      try {
        const s = await call<SessionBody>('GET', '/api/auth/session')
        csrf = s.csrfToken
        return s.user
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null
        throw err
      }
    },
    async login(login, password) {
      const s = await call<SessionBody>('POST', '/api/auth/login', { login, password })
      csrf = s.csrfToken
      return s.user
    },
    async logout() {
      await call<void>('POST', '/api/auth/logout')
      csrf = ''
    },
    getSettings: () => call('GET', '/api/admin/settings'),
    updateSettings: (p) => call('PATCH', '/api/admin/settings', p),
    listTokens: async () => (await call<{ tokens: Token[] }>('GET', '/api/account/tokens')).tokens,
    createToken: (t) => call('POST', '/api/account/tokens', t),
    revokeToken: (id) => call('DELETE', `/api/account/tokens/${id}`),
    serverURL: () => Promise.resolve(window.location.origin),
    setTitle: (title) => {
      document.title = title
    },
    copy: (text) => navigator.clipboard.writeText(text),
    openExternal: (url) => {
      window.open(url, '_blank', 'noopener')
    },
    eventCatalogue: async () => (await call<{ resources: ResourceDef[] }>('GET', '/api/admin/events')).resources,
    listWebhooks: async () => (await call<{ webhooks: Webhook[] }>('GET', '/api/admin/webhooks')).webhooks,
    getWebhook: (id) => call('GET', `/api/admin/webhooks/${id}`),
    createWebhook: (w) => call('POST', '/api/admin/webhooks', w),
    updateWebhook: (id, w) => call('PATCH', `/api/admin/webhooks/${id}`, w),
    deleteWebhook: (id) => call('DELETE', `/api/admin/webhooks/${id}`),
    testWebhook: (id, event) => call('POST', `/api/admin/webhooks/${id}/test`, { event }),
    listDeliveries: async (id, limit, before, f) => {
      const q = new URLSearchParams({ limit: String(limit) })
      if (before) q.set('before', String(before))
      if (f?.outcome) q.set('outcome', f.outcome)
      if (f?.event) q.set('event', f.event)
      return (await call<{ deliveries: Attempt[] }>('GET', `/api/admin/webhooks/${id}/deliveries?${q}`)).deliveries
    },
    redeliver: async (id) => {
      await call('POST', `/api/admin/deliveries/${id}/redeliver`)
    },
    replay: async (id, since) => (await call<{ queued: number }>('POST', `/api/admin/webhooks/${id}/replay`, { since })).queued,
    listProjects: async () => {
      interface Page {
        total: number
        _embedded: { elements: { id: number; name: string; identifier: string }[] }
      }
      const out: ProjectRef[] = []
      // Pages of the largest size the API settings allow; the server caps
      // pageSize itself, so follow total rather than assume a page size.
      for (let page = 1; page <= 50; page++) {
        const p = await call<Page>('GET', `/api/v3/projects?pageSize=1000&offset=${page}`)
        const els = p._embedded?.elements ?? []
        out.push(...els.map((e) => ({ id: e.id, name: e.name, identifier: e.identifier })))
        if (els.length === 0 || out.length >= p.total) break
      }
      return out
    },
    webhookStats: (id, since) => call('GET', `/api/admin/webhooks/${id}/stats${since ? `?since=${encodeURIComponent(since)}` : ''}`),
    getDelivery: (id) => call('GET', `/api/admin/deliveries/${id}`),
    findDelivery: (msg) => call('GET', `/api/admin/deliveries?messageId=${encodeURIComponent(msg)}`),
    changePassword: async (p) => {
      await call('PATCH', '/api/account/password', p)
    },
  }
}

/** inDesktop is true inside the Wails window, where window.go holds the bindings. */
export function inDesktop(): boolean {
  return typeof (window as unknown as { go?: unknown }).go !== 'undefined'
}

export const api: Api = inDesktop() ? bindingsApi() : fetchApi()
