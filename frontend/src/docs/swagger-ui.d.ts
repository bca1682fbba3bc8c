// swagger-ui-dist ships no types; this is the part of its options the docs
// page uses (https://swagger.io/docs/open-source-tools/swagger-ui/usage/configuration/).
declare module 'swagger-ui-dist/swagger-ui-es-bundle.js' {
  export interface SwaggerRequest {
    url: string
    method: string
    headers: Record<string, string>
    credentials?: RequestCredentials
    [key: string]: unknown
  }
  export interface SwaggerUIOptions {
    domNode: HTMLElement
    spec: object
    presets?: unknown[]
    layout?: string
    deepLinking?: boolean
    validatorUrl?: string | null
    queryConfigEnabled?: boolean
    displayRequestDuration?: boolean
    docExpansion?: 'list' | 'full' | 'none'
    defaultModelsExpandDepth?: number
    defaultModelExpandDepth?: number
    defaultModelRendering?: 'example' | 'model'
    filter?: boolean
    persistAuthorization?: boolean
    showExtensions?: boolean
    showCommonExtensions?: boolean
    syntaxHighlight?: false | { activated?: boolean; theme?: string }
    requestInterceptor?: (req: SwaggerRequest) => SwaggerRequest
    onComplete?: () => void
  }
  interface SwaggerUIBundle {
    (options: SwaggerUIOptions): unknown
    presets: { apis: unknown }
  }
  const SwaggerUI: SwaggerUIBundle
  export default SwaggerUI
}
