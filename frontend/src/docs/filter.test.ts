import { describe, expect, it } from 'vitest'
import { withoutAdministration, type OpenAPIDocument } from './filter'

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

function doc(): OpenAPIDocument {
  return {
    openapi: '3.1.0',
    tags: [{ name: 'Users' }, { name: 'Administration' }, { name: 'Webhooks' }],
    paths: {
      '/api/v3/users/me': { get: { tags: ['Users'], responses: { 200: { content: { 'application/json': { schema: ref('User') } } } } } },
      '/api/admin/settings': {
        get: { tags: ['Administration'], responses: { 200: { content: { 'application/json': { schema: ref('Settings') } } } } },
        patch: { tags: ['Administration'], requestBody: { content: { 'application/json': { schema: ref('SettingsPatch') } } } },
      },
      // An admin path under another tag, and an admin tag under another path.
      '/api/admin/events': { get: { tags: ['Users'], responses: { 200: { content: { 'application/json': { schema: ref('EventList') } } } } } },
      '/api/v3/hooks': { parameters: [], get: { tags: ['Webhooks'], responses: { 200: { content: { 'application/json': { schema: ref('Webhook') } } } } } },
    },
    components: {
      responses: { E500: { content: { 'application/json': { schema: ref('Error') } } } },
      schemas: {
        User: { type: 'object', properties: { links: ref('Link') } },
        Link: { type: 'object' },
        Error: { type: 'object', properties: { errors: { type: 'array', items: ref('Error') } } },
        Settings: { type: 'object', properties: { origins: ref('Origin') } },
        SettingsPatch: { type: 'object' },
        Origin: { type: 'string' },
        EventList: { type: 'array' },
        Webhook: { type: 'object', properties: { self: ref('Link') } },
      },
    },
  }
}

describe('withoutAdministration', () => {
  it('drops admin operations, their tags and the schemas only they reach', () => {
    const original = doc()
    const out = withoutAdministration(original)
    expect(Object.keys(out.paths!)).toEqual(['/api/v3/users/me'])
    expect(out.tags).toEqual([{ name: 'Users' }])
    // Link is reached through User (and Webhook), Error through a shared response.
    expect(Object.keys(out.components!.schemas!).sort()).toEqual(['Error', 'Link', 'User'])
    expect(out.components!.responses).toEqual(original.components!.responses)
    // The document given is left whole for administrators.
    expect(Object.keys(original.paths!)).toHaveLength(4)
    expect(Object.keys(original.components!.schemas!)).toHaveLength(8)
  })

  it('keeps a path whose other methods are public', () => {
    const d = doc()
    d.paths!['/api/v3/users/me'].post = { tags: ['Administration'] }
    const out = withoutAdministration(d)
    expect(Object.keys(out.paths!['/api/v3/users/me'])).toEqual(['get'])
  })
})
