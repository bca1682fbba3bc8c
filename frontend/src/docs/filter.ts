// The docs page shows administrators the whole API and everybody else the
// part they can call. The document itself is public (GET /api/v3/openapi.json
// describes every route, admin routes included) and every admin route answers
// 403 to other users, so this is a matter of presentation, not of access.

export interface OpenAPIDocument {
  paths?: Record<string, Record<string, unknown>>
  tags?: { name: string }[]
  components?: { schemas?: Record<string, unknown>; [section: string]: unknown }
  [key: string]: unknown
}

/** Tags whose operations only administrators may call. */
export const adminTags = ['Administration', 'Webhooks']

const methods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])

/** isAdminOperation tells whether an operation is one of the administration API's. */
export function isAdminOperation(path: string, operation: unknown): boolean {
  if (path === '/api/admin' || path.startsWith('/api/admin/')) return true
  const tags = (operation as { tags?: unknown })?.tags
  return Array.isArray(tags) && tags.some((t) => adminTags.includes(t))
}

/**
 * withoutAdministration returns a copy of doc without the administration
 * operations, their tags, and the schemas that only they reference (directly
 * or through other schemas), so that a non-administrator sees neither the
 * routes nor the shapes of webhooks and settings.
 */
export function withoutAdministration(doc: OpenAPIDocument): OpenAPIDocument {
  const out: OpenAPIDocument = structuredClone(doc)
  const paths: Record<string, Record<string, unknown>> = {}
  for (const [path, item] of Object.entries(out.paths ?? {})) {
    const kept: Record<string, unknown> = {}
    let operations = 0
    for (const [key, value] of Object.entries(item)) {
      if (!methods.has(key)) {
        kept[key] = value // path-level parameters, summary, …
      } else if (!isAdminOperation(path, value)) {
        kept[key] = value
        operations++
      }
    }
    if (operations > 0) paths[path] = kept
  }
  out.paths = paths
  if (out.tags) out.tags = out.tags.filter((t) => !adminTags.includes(t.name))

  const schemas = out.components?.schemas
  if (schemas) {
    // Everything reachable from what stays outside components.schemas, then
    // through schemas, keeps its schema.
    const { components, ...rest } = out
    const roots: unknown[] = [rest]
    for (const [section, value] of Object.entries(components ?? {})) {
      if (section !== 'schemas') roots.push(value)
    }
    const reachable = new Set<string>()
    const queue = [...roots]
    while (queue.length > 0) {
      for (const name of schemaRefs(queue.pop())) {
        if (!reachable.has(name) && name in schemas) {
          reachable.add(name)
          queue.push(schemas[name])
        }
      }
    }
    out.components!.schemas = Object.fromEntries(Object.entries(schemas).filter(([name]) => reachable.has(name)))
  }
  return out
}

const schemaPrefix = '#/components/schemas/'

/** schemaRefs lists the schema names that value's $refs point to. */
function schemaRefs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const v of value) schemaRefs(v, found)
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith(schemaPrefix)) {
        found.push(decodeURIComponent(v.slice(schemaPrefix.length)).replace(/~1/g, '/').replace(/~0/g, '~'))
      } else {
        schemaRefs(v, found)
      }
    }
  }
  return found
}
