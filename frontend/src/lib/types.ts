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
