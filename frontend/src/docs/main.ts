// The interactive API docs (/api/docs): Swagger UI, bundled into this page
// only, over this server's OpenAPI document. Nothing is loaded from elsewhere
// (no fonts, no validator badge), so the page works with no internet.
// Try-it requests go to this origin with the browser's session (and its CSRF
// token on writes), or with an API token entered under "Authorize".
import SwaggerUI, { type SwaggerRequest } from 'swagger-ui-dist/swagger-ui-es-bundle.js'
import 'swagger-ui-dist/swagger-ui.css'
import './docs.css'
import { withoutAdministration, type OpenAPIDocument } from './filter'

interface Session {
  user: { name: string; admin?: boolean }
  csrfToken: string
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS'])

// Swagger UI themes itself dark with a class on <html>; follow the system as
// the app does.
const dark = window.matchMedia('(prefers-color-scheme: dark)')
const applyTheme = () => document.documentElement.classList.toggle('dark-mode', dark.matches)
applyTheme()
dark.addEventListener('change', applyTheme)

async function session(): Promise<Session | null> {
  try {
    const res = await fetch('/api/auth/session', { headers: { 'X-Authentication-Scheme': 'Session' } })
    return res.ok ? ((await res.json()) as Session) : null
  } catch {
    return null
  }
}

function showStatus(s: Session | null) {
  const who = document.getElementById('who')!
  const how = document.getElementById('how')!
  if (s) {
    who.textContent = `Signed in as ${s.user.name}`
    how.textContent = s.user.admin
      ? 'Try-it requests use your session. To try an API token instead, use Authorize.'
      : 'Try-it requests use your session. To try an API token instead, use Authorize. The administration API is shown to administrators only.'
  } else {
    who.textContent = 'Not signed in'
    how.textContent = 'Sign in to the app to try requests with your session, or use Authorize with an API token (Basic: user name "apikey" and the token as password; or Bearer).'
  }
}

async function main() {
  const root = document.getElementById('docs')!
  const [s, doc] = await Promise.all([
    session(),
    fetch('/api/v3/openapi.json').then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`)
      return (await r.json()) as OpenAPIDocument
    }),
  ])
  showStatus(s)
  const csrf = s?.csrfToken ?? ''
  root.replaceChildren()
  SwaggerUI({
    domNode: root,
    spec: s?.user.admin ? doc : withoutAdministration(doc),
    presets: [SwaggerUI.presets.apis],
    deepLinking: true,
    validatorUrl: null, // the badge would ask validator.swagger.io
    queryConfigEnabled: false, // ?url=… must not load another document
    displayRequestDuration: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 1,
    defaultModelExpandDepth: 2,
    filter: true,
    persistAuthorization: false, // a token typed in is not kept in localStorage
    requestInterceptor(req: SwaggerRequest) {
      req.credentials = 'same-origin'
      // Ask for a Session challenge so that a 401 does not open the browser's
      // Basic sign-in dialog.
      req.headers['X-Authentication-Scheme'] = 'Session'
      if (csrf && !req.headers.Authorization && !safeMethods.has(req.method.toUpperCase())) {
        req.headers['X-CSRF-Token'] = csrf
      }
      return req
    },
  })
}

main().catch((err) => {
  const root = document.getElementById('docs')!
  const p = document.createElement('p')
  p.className = 'docs-error'
  p.setAttribute('role', 'alert')
  p.textContent = `The API description could not be loaded: ${String(err)}`
  root.replaceChildren(p)
})
