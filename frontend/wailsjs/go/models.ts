export namespace app {
	
	export class ProjectRef {
	    id: number;
	    name: string;
	    identifier: string;
	
	    static createFrom(source: any = {}) {
	        return new ProjectRef(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.identifier = source["identifier"];
	    }
	}

}

export namespace auth {
	
	export class CreatedToken {
	    id: number;
	    name: string;
	    last4: string;
	    // Go type: time
	    expiresAt?: any;
	    // Go type: time
	    lastUsedAt?: any;
	    // Go type: time
	    createdAt: any;
	    token: string;
	
	    static createFrom(source: any = {}) {
	        return new CreatedToken(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.last4 = source["last4"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.lastUsedAt = this.convertValues(source["lastUsedAt"], null);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.token = source["token"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class NewToken {
	    name: string;
	    // Go type: time
	    expiresAt?: any;
	
	    static createFrom(source: any = {}) {
	        return new NewToken(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class PasswordChange {
	    currentPassword: string;
	    newPassword: string;
	
	    static createFrom(source: any = {}) {
	        return new PasswordChange(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.currentPassword = source["currentPassword"];
	        this.newPassword = source["newPassword"];
	    }
	}
	export class Token {
	    id: number;
	    name: string;
	    last4: string;
	    // Go type: time
	    expiresAt?: any;
	    // Go type: time
	    lastUsedAt?: any;
	    // Go type: time
	    createdAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Token(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.last4 = source["last4"];
	        this.expiresAt = this.convertValues(source["expiresAt"], null);
	        this.lastUsedAt = this.convertValues(source["lastUsedAt"], null);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace dispatch {
	
	export class Attempt {
	    id: number;
	    deliveryId: number;
	    webhookId: number;
	    messageId: string;
	    attempt: number;
	    event: string;
	    url: string;
	    requestHeaders: Record<string, string>;
	    requestBody: string;
	    responseCode: number;
	    responseHeaders: Record<string, string>;
	    responseBody: string;
	    error: string;
	    durationMs: number;
	    // Go type: time
	    nextRetryAt?: any;
	    test: boolean;
	    // Go type: time
	    createdAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Attempt(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.deliveryId = source["deliveryId"];
	        this.webhookId = source["webhookId"];
	        this.messageId = source["messageId"];
	        this.attempt = source["attempt"];
	        this.event = source["event"];
	        this.url = source["url"];
	        this.requestHeaders = source["requestHeaders"];
	        this.requestBody = source["requestBody"];
	        this.responseCode = source["responseCode"];
	        this.responseHeaders = source["responseHeaders"];
	        this.responseBody = source["responseBody"];
	        this.error = source["error"];
	        this.durationMs = source["durationMs"];
	        this.nextRetryAt = this.convertValues(source["nextRetryAt"], null);
	        this.test = source["test"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Bucket {
	    // Go type: time
	    start: any;
	    succeeded: number;
	    failed: number;
	    retrying: number;
	    p50Ms?: number;
	    p95Ms?: number;
	    p99Ms?: number;
	
	    static createFrom(source: any = {}) {
	        return new Bucket(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.start = this.convertValues(source["start"], null);
	        this.succeeded = source["succeeded"];
	        this.failed = source["failed"];
	        this.retrying = source["retrying"];
	        this.p50Ms = source["p50Ms"];
	        this.p95Ms = source["p95Ms"];
	        this.p99Ms = source["p99Ms"];
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Delivery {
	    id: number;
	    webhookId: number;
	    messageId: string;
	    event: string;
	    status: string;
	    test: boolean;
	    // Go type: time
	    nextAttemptAt?: any;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    attempts: Attempt[];
	
	    static createFrom(source: any = {}) {
	        return new Delivery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.webhookId = source["webhookId"];
	        this.messageId = source["messageId"];
	        this.event = source["event"];
	        this.status = source["status"];
	        this.test = source["test"];
	        this.nextAttemptAt = this.convertValues(source["nextAttemptAt"], null);
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.attempts = this.convertValues(source["attempts"], Attempt);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Stats {
	    // Go type: time
	    since: any;
	    // Go type: time
	    until: any;
	    bucketSeconds: number;
	    buckets: Bucket[];
	
	    static createFrom(source: any = {}) {
	        return new Stats(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.since = this.convertValues(source["since"], null);
	        this.until = this.convertValues(source["until"], null);
	        this.bucketSeconds = source["bucketSeconds"];
	        this.buckets = this.convertValues(source["buckets"], Bucket);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace hal {
	
	export class Link {
	    href?: string;
	    title?: string;
	    templated?: boolean;
	    method?: string;
	
	    static createFrom(source: any = {}) {
	        return new Link(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.href = source["href"];
	        this.title = source["title"];
	        this.templated = source["templated"];
	        this.method = source["method"];
	    }
	}
	export class UserLinks {
	    self?: Link;
	    memberships?: Link;
	    showUser?: Link;
	    updateImmediately?: Link;
	    lock?: Link;
	    delete?: Link;
	
	    static createFrom(source: any = {}) {
	        return new UserLinks(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.self = this.convertValues(source["self"], Link);
	        this.memberships = this.convertValues(source["memberships"], Link);
	        this.showUser = this.convertValues(source["showUser"], Link);
	        this.updateImmediately = this.convertValues(source["updateImmediately"], Link);
	        this.lock = this.convertValues(source["lock"], Link);
	        this.delete = this.convertValues(source["delete"], Link);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class UserResource {
	    _type: string;
	    id: number;
	    name: string;
	    createdAt: string;
	    updatedAt: string;
	    login?: string;
	    admin?: boolean;
	    firstName?: string;
	    lastName?: string;
	    email?: string;
	    avatar?: string;
	    status?: string;
	    language?: string;
	    _links: UserLinks;
	
	    static createFrom(source: any = {}) {
	        return new UserResource(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this._type = source["_type"];
	        this.id = source["id"];
	        this.name = source["name"];
	        this.createdAt = source["createdAt"];
	        this.updatedAt = source["updatedAt"];
	        this.login = source["login"];
	        this.admin = source["admin"];
	        this.firstName = source["firstName"];
	        this.lastName = source["lastName"];
	        this.email = source["email"];
	        this.avatar = source["avatar"];
	        this.status = source["status"];
	        this.language = source["language"];
	        this._links = this.convertValues(source["_links"], UserLinks);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace outbox {
	
	export class EventDef {
	    name: string;
	    label: string;
	
	    static createFrom(source: any = {}) {
	        return new EventDef(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.label = source["label"];
	    }
	}
	export class ResourceDef {
	    resource: string;
	    label: string;
	    payloadKey: string;
	    events: EventDef[];
	
	    static createFrom(source: any = {}) {
	        return new ResourceDef(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.resource = source["resource"];
	        this.label = source["label"];
	        this.payloadKey = source["payloadKey"];
	        this.events = this.convertValues(source["events"], EventDef);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace settings {
	
	export class Patch {
	    restApiEnabled?: boolean;
	    maxPageSize?: number;
	    writeReadonlyAttributes?: boolean;
	    docsEnabled?: boolean;
	    corsEnabled?: boolean;
	    corsOrigins?: string[];
	
	    static createFrom(source: any = {}) {
	        return new Patch(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.restApiEnabled = source["restApiEnabled"];
	        this.maxPageSize = source["maxPageSize"];
	        this.writeReadonlyAttributes = source["writeReadonlyAttributes"];
	        this.docsEnabled = source["docsEnabled"];
	        this.corsEnabled = source["corsEnabled"];
	        this.corsOrigins = source["corsOrigins"];
	    }
	}
	export class Settings {
	    restApiEnabled: boolean;
	    maxPageSize: number;
	    writeReadonlyAttributes: boolean;
	    docsEnabled: boolean;
	    corsEnabled: boolean;
	    corsOrigins: string[];
	    // Go type: time
	    updatedAt: any;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.restApiEnabled = source["restApiEnabled"];
	        this.maxPageSize = source["maxPageSize"];
	        this.writeReadonlyAttributes = source["writeReadonlyAttributes"];
	        this.docsEnabled = source["docsEnabled"];
	        this.corsEnabled = source["corsEnabled"];
	        this.corsOrigins = source["corsOrigins"];
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

export namespace webhooks {
	
	export class Input {
	    name?: string;
	    url?: string;
	    description?: string;
	    secret?: string;
	    enabled?: boolean;
	    events?: string[];
	    allProjects?: boolean;
	    projectIds?: number[];
	    ordered?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Input(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.name = source["name"];
	        this.url = source["url"];
	        this.description = source["description"];
	        this.secret = source["secret"];
	        this.enabled = source["enabled"];
	        this.events = source["events"];
	        this.allProjects = source["allProjects"];
	        this.projectIds = source["projectIds"];
	        this.ordered = source["ordered"];
	    }
	}
	export class Status {
	    state: string;
	    reason?: string;
	    // Go type: time
	    failingSince?: any;
	
	    static createFrom(source: any = {}) {
	        return new Status(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.state = source["state"];
	        this.reason = source["reason"];
	        this.failingSince = this.convertValues(source["failingSince"], null);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}
	export class Webhook {
	    id: number;
	    name: string;
	    url: string;
	    description: string;
	    secretSet: boolean;
	    secretLast4: string;
	    // Go type: time
	    rotatingUntil?: any;
	    enabled: boolean;
	    events: string[];
	    allProjects: boolean;
	    projectIds: number[];
	    ordered: boolean;
	    // Go type: time
	    createdAt: any;
	    // Go type: time
	    updatedAt: any;
	    status: Status;
	
	    static createFrom(source: any = {}) {
	        return new Webhook(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.name = source["name"];
	        this.url = source["url"];
	        this.description = source["description"];
	        this.secretSet = source["secretSet"];
	        this.secretLast4 = source["secretLast4"];
	        this.rotatingUntil = this.convertValues(source["rotatingUntil"], null);
	        this.enabled = source["enabled"];
	        this.events = source["events"];
	        this.allProjects = source["allProjects"];
	        this.projectIds = source["projectIds"];
	        this.ordered = source["ordered"];
	        this.createdAt = this.convertValues(source["createdAt"], null);
	        this.updatedAt = this.convertValues(source["updatedAt"], null);
	        this.status = this.convertValues(source["status"], Status);
	    }
	
		convertValues(a: any, classs: any, asMap: boolean = false): any {
		    if (!a) {
		        return a;
		    }
		    if (a.slice && a.map) {
		        return (a as any[]).map(elem => this.convertValues(elem, classs));
		    } else if ("object" === typeof a) {
		        if (asMap) {
		            for (const key of Object.keys(a)) {
		                a[key] = new classs(a[key]);
		            }
		            return a;
		        }
		        return new classs(a);
		    }
		    return a;
		}
	}

}

