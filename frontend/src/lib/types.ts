// Shapes of the admin API (SPEC §2, §4) as both transports return them.

export interface Settings {
  restApiEnabled: boolean
  maxPageSize: number
  writeReadonlyAttributes: boolean
  docsEnabled: boolean
  corsEnabled: boolean
  corsOrigins: string[]
  updatedAt: string
}

export type SettingsPatch = Partial<Omit<Settings, 'updatedAt'>>

export interface User {
  _type: 'User'
  id: number
  name: string
  login?: string
  admin?: boolean
}

export interface Token {
  id: number
  name: string
  last4: string
  expiresAt: string | null
  lastUsedAt: string | null
  createdAt: string
}

export interface CreatedToken extends Token {
  token: string
}

export interface NewToken {
  name: string
  expiresAt?: string | null
}

/** One field's problem, from an OpenProject error body. */
export interface FieldError {
  attribute: string
  message: string
}

// Webhook shapes come from the Go structs through the Wails models that
// `wails generate module` writes; Data drops the models' helper methods so
// the same types describe the JSON the HTTP transport returns.
import type { auth, dispatch, outbox, webhooks } from '../../wailsjs/go/models'

type Data<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K] }

export type Webhook = Data<webhooks.Webhook> & { status: Data<webhooks.Status> }
export type WebhookInput = Data<webhooks.Input>
export type Attempt = Data<dispatch.Attempt>
export type ResourceDef = Data<outbox.ResourceDef> & { events: Data<outbox.EventDef>[] }
export type Delivery = Data<dispatch.Delivery> & { attempts: Attempt[] }
export type StatsBucket = Data<dispatch.Bucket>
export type Stats = Data<dispatch.Stats> & { buckets: StatsBucket[] }
export type PasswordChange = Data<auth.PasswordChange>

/** A project as the picker needs it (from GET /api/v3/projects). */
export interface ProjectRef {
  id: number
  name: string
  identifier: string
}
