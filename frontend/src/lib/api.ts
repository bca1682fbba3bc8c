// One API client, two transports: the Wails bindings inside the desktop
// window, fetch against the Hookpost server in a browser.
import type { CreatedToken, NewToken, Settings, SettingsPatch, Token, User } from './types'
import { ApiError } from './errors'
import * as App from '../../wailsjs/go/app/App'
import { WindowSetTitle, ClipboardSetText, BrowserOpenURL } from '../../wailsjs/runtime/runtime'

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
}

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
  }
}

/** inDesktop is true inside the Wails window, where window.go holds the bindings. */
export function inDesktop(): boolean {
  return typeof (window as unknown as { go?: unknown }).go !== 'undefined'
}

export const api: Api = inDesktop() ? bindingsApi() : fetchApi()
