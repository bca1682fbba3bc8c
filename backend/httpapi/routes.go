package httpapi

import "github.com/gofiber/fiber/v2"

// route is one entry of the route table; doc feeds the OpenAPI document.
type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
	doc     op
}

// routes is Hookpost's one route table.
func (s *server) routes() []route {
	return []route{
		{"GET", "/healthz", public, s.healthz, op{tag: "Operations", summary: "Process is up", resp: "Health", noAuth: true}},
		{"GET", "/readyz", public, s.readyz, op{tag: "Operations", summary: "Database reachable and migrated", resp: "Health", errors: []int{503}, noAuth: true}},

		{"POST", "/api/auth/login", public, s.login, op{tag: "Sign-in", summary: "Sign in with login and password; sets the session cookie", body: "LoginRequest", resp: "Session", errors: []int{401, 415, 422}, noAuth: true}},
		{"POST", "/api/auth/logout", public, s.logout, op{tag: "Sign-in", summary: "Sign out: closes the session", status: 204, noAuth: true}},
		{"GET", "/api/auth/session", public, s.currentSession, op{tag: "Sign-in", summary: "The signed-in browser session and its CSRF token", resp: "Session", errors: []int{401}}},

		{"GET", "/api/account/tokens", signedIn, s.listTokens, op{tag: "My account", summary: "List my API tokens", resp: "TokenList", errors: []int{401}}},
		{"POST", "/api/account/tokens", signedIn, s.createToken, op{tag: "My account", summary: "Create an API token (its secret is shown once)", body: "NewToken", resp: "CreatedToken", status: 201, errors: []int{401, 403, 415, 422}}},
		{"DELETE", "/api/account/tokens/:id", signedIn, s.revokeToken, op{tag: "My account", summary: "Revoke an API token", status: 204, errors: []int{401, 404}}},

		{"GET", "/api/admin/settings", adminOnly, s.getSettings, op{tag: "Administration", summary: "API settings", resp: "Settings", errors: []int{401, 403}}},
		{"PATCH", "/api/admin/settings", adminOnly, s.patchSettings, op{tag: "Administration", summary: "Change API settings (applies to the next request)", body: "SettingsPatch", resp: "Settings", errors: []int{400, 401, 403, 415, 422}}},

		{"GET", "/api/v3", signedIn, s.root, op{tag: "Root", summary: "API root", resp: "Root", errors: []int{401}, hal: true}},
		{"GET", "/api/v3/users", adminOnly, s.listUsers, op{tag: "Users", summary: "List users (administrators only)", resp: "UserCollection", errors: []int{400, 401, 403}, hal: true, paged: true}},
		{"GET", "/api/v3/users/me", signedIn, s.me, op{tag: "Users", summary: "The current user", resp: "User", errors: []int{401}, hal: true}},
		{"GET", "/api/v3/users/:id", signedIn, s.user, op{tag: "Users", summary: "A user", resp: "User", errors: []int{401, 404}, hal: true}},

		{"GET", "/api/v3/openapi.json", public, s.openAPI, op{tag: "Root", summary: "This OpenAPI document (JSON)", resp: "OpenAPI", noAuth: true}},
		{"GET", "/api/v3/spec.json", public, s.openAPI, op{tag: "Root", summary: "This OpenAPI document (JSON)", resp: "OpenAPI", noAuth: true}},
		{"GET", "/api/v3/spec.yml", public, s.openAPIYAMLHandler, op{tag: "Root", summary: "This OpenAPI document (YAML)", resp: "OpenAPI", yaml: true, noAuth: true}},
		{"GET", "/api/docs", public, s.docs, op{tag: "Root", summary: "Interactive API documentation (when enabled in the API settings)", html: true, errors: []int{404}, noAuth: true}},
	}
}
