/**
 * JSON schemas of the Plex answers, written from the reference description
 * (shared/reference/plex-auth.openapi.yaml). Each answer has two:
 * - `documented`: the whole documented shape; straying from it is only worth a warning;
 * - `relied`: the fields our code reads, with their types; straying from it is an error.
 */
import type { SchemaObject } from 'ajv';

const nullableString = { type: ['string', 'null'] };
const YEAR_SECONDS = 365 * 24 * 3600;

/*
 * Caps on a peer's lists, checked before anything else of them (checking a list of millions,
 * even to refuse it, stalls the event loop). Over a cap, an answer is refused where cutting it
 * could lose what a user needs, and cut with a warning where it cannot.
 */
/** /api/v2/resources: more devices than a 1 MiB answer of real ones can hold. Refused: a cut could drop the user's server. */
export const MAX_DEVICES = 2000;
/**
 * One server's connections (/api/v2/resources, /security/resources): a real one lists a dozen
 * at most. Cut: the first ones still reach the server, and the rest of the answer stays usable.
 */
export const MAX_CONNECTIONS = 64;
/** /api/v2/auth/keys: plex.tv lists 1 to 3. Refused: a cut could drop the signing key and make a good JWT look forged. */
export const MAX_PLEX_KEYS = 8;
/**
 * Sessions a server lists (/status/sessions; cut: the first ones are still who and what), tells
 * of in one notification (refused: a real one tells of one), and plex-events follows at once.
 * A home server has a handful.
 */
export const MAX_SESSIONS = 1000;
/** Users, players or libraries a server lists for the plex-events dialog. Cut: the dialog offers the first ones. */
export const MAX_CHOICES = 1000;

const errors: SchemaObject = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { code: { type: 'integer' }, message: { type: 'string' }, status: { type: 'integer' } },
      },
    },
  },
};

const geoData: SchemaObject = {
  type: 'object',
  required: [
    'code',
    'continent_code',
    'country',
    'city',
    'european_union_member',
    'time_zone',
    'postal_code',
    'in_privacy_restricted_country',
    'in_privacy_restricted_region',
    'subdivisions',
    'coordinates',
  ],
  properties: {
    code: { type: 'string' },
    continent_code: { type: 'string' },
    country: { type: 'string' },
    city: { type: 'string' },
    european_union_member: { type: 'boolean' },
    time_zone: { type: 'string' },
    postal_code: { type: ['string', 'integer'] },
    in_privacy_restricted_country: { type: 'boolean' },
    in_privacy_restricted_region: { type: 'boolean' },
    subdivisions: { type: 'string' },
    coordinates: { type: 'string' },
  },
};

const mediaContainer: SchemaObject = {
  type: 'object',
  properties: {
    identifier: { type: 'string' },
    offset: { type: 'integer' },
    size: { type: 'integer' },
    totalSize: { type: 'integer' },
  },
};

/** AuthPinContainer: POST /api/v2/pins and GET /api/v2/pins/{id}. */
export const pin = {
  documented: {
    type: 'object',
    required: ['id', 'code', 'product', 'trusted', 'qr', 'clientIdentifier', 'location', 'expiresIn', 'createdAt', 'expiresAt'],
    properties: {
      id: { type: 'integer' },
      code: { type: 'string' },
      product: { type: 'string' },
      trusted: { type: 'boolean' },
      qr: { type: 'string' },
      clientIdentifier: { type: 'string' },
      location: geoData,
      expiresIn: { type: 'integer' },
      createdAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      authToken: nullableString,
      newRegistration: { type: ['null', 'boolean'] },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['id', 'code'],
    properties: {
      // A larger id loses digits in JSON.parse: it could never be polled.
      id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      code: { type: 'string', minLength: 1 },
      qr: { type: 'string' },
      // Seconds; PINs live minutes. Far beyond a year no date can be made of it (1e20 gave a RangeError).
      expiresIn: { type: 'integer', minimum: -YEAR_SECONDS, maximum: YEAR_SECONDS },
      expiresAt: { type: 'string' },
      authToken: nullableString,
    },
  } as SchemaObject,
};

/** GET /api/v2/user. */
export const user = {
  documented: {
    type: 'object',
    required: ['id', 'uuid', 'username'],
    properties: {
      id: { type: 'integer' },
      uuid: { type: 'string' },
      username: { type: 'string' },
      title: { type: 'string' },
      email: { type: 'string' },
      authToken: { type: 'string' },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['username'],
    properties: { username: { type: 'string' }, title: { type: 'string' } },
  } as SchemaObject,
};

/** /security/token?type=delegation&scope=all on a Plex Media Server. */
export const transientToken = {
  documented: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: { allOf: [mediaContainer, { type: 'object', required: ['token'], properties: { token: { type: 'string' } } }] },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: {
        type: 'object',
        required: ['token'],
        properties: { token: { type: 'string', minLength: 1 } },
      },
    },
  } as SchemaObject,
};

/** Device of /security/resources; `connectionRequired` lists the Connection fields that must be there. */
function device(connectionRequired: string[]): SchemaObject {
  return {
    type: 'object',
    properties: {
      accessToken: { type: 'string' },
      clientIdentifier: { type: 'string' },
      name: { type: 'string' },
      Connection: {
        type: 'array',
        items: {
          type: 'object',
          required: connectionRequired,
          properties: {
            address: { type: 'string' },
            local: { type: 'boolean' },
            port: { type: 'integer' },
            protocol: { type: 'string' },
            relay: { type: 'boolean' },
            uri: { type: 'string' },
          },
        },
      },
    },
  };
}

/** /security/resources?source=... on a Plex Media Server. */
export const sourceInfo = {
  documented: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: {
        allOf: [mediaContainer, { type: 'object', required: ['Device'], properties: { Device: device([]) } }],
      },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: { type: 'object', required: ['Device'], properties: { Device: device(['uri']) } },
    },
  } as SchemaObject,
};

export { errors };

/** GET /api/v2/auth/nonce (plex-jwt-discovery.openapi.yaml). */
export const authNonce = {
  documented: { type: 'object', required: ['nonce'], properties: { nonce: { type: 'string' } } } as SchemaObject,
  relied: { type: 'object', required: ['nonce'], properties: { nonce: { type: 'string', minLength: 1 } } } as SchemaObject,
};

/** POST /api/v2/auth/token: the Plex JWT (checked on its own by verifyPlexJwt). */
export const authToken = {
  documented: { type: 'object', required: ['auth_token'], properties: { auth_token: { type: 'string' } } } as SchemaObject,
  relied: { type: 'object', required: ['auth_token'], properties: { auth_token: { type: 'string', minLength: 1 } } } as SchemaObject,
};

const publicJwk: SchemaObject = {
  type: 'object',
  required: ['kty', 'crv', 'x'],
  properties: {
    kty: { const: 'OKP' },
    crv: { const: 'Ed25519' },
    x: { type: 'string' },
    kid: { type: 'string' },
    use: { const: 'sig' },
    alg: { const: 'EdDSA' },
  },
};

/** GET /api/v2/auth/keys: plex.tv's public keys. Entries of other kinds are skipped, not refused. */
export const authKeys = {
  documented: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', items: publicJwk } } } as SchemaObject,
  relied: { type: 'object', required: ['keys'], properties: { keys: { type: 'array', maxItems: MAX_PLEX_KEYS, items: { type: 'object' } } } } as SchemaObject,
};

/** One connection of a device in /api/v2/resources (asked with includeHttps, includeRelay and includeIPv6). */
const resourceConnection: SchemaObject = {
  type: 'object',
  required: ['protocol', 'address', 'port', 'uri', 'local', 'relay', 'IPv6'],
  properties: {
    protocol: { type: 'string', enum: ['http', 'https'] },
    address: { type: 'string' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    uri: { type: 'string', pattern: '^https?://' },
    local: { type: 'boolean' },
    relay: { type: 'boolean' },
    IPv6: { type: 'boolean' },
  },
};

/** GET /api/v2/resources on plex.tv: PlexDevice of plex-jwt-discovery.openapi.yaml. */
export const resources = {
  documented: {
    type: 'array',
    items: {
      type: 'object',
      required: [
        'name',
        'product',
        'productVersion',
        'platform',
        'platformVersion',
        'device',
        'clientIdentifier',
        'createdAt',
        'lastSeenAt',
        'provides',
        'ownerId',
        'sourceTitle',
        'publicAddress',
        'accessToken',
        'owned',
        'home',
        'synced',
        'relay',
        'presence',
        'httpsRequired',
        'publicAddressMatches',
        'dnsRebindingProtection',
        'natLoopbackSupported',
        'connections',
      ],
      properties: {
        name: { type: 'string' },
        product: { type: 'string' },
        productVersion: { type: 'string' },
        platform: nullableString,
        platformVersion: nullableString,
        device: nullableString,
        clientIdentifier: { type: 'string' },
        createdAt: { type: 'string', format: 'date-time' },
        lastSeenAt: { type: 'string', format: 'date-time' },
        provides: { type: 'string' },
        ownerId: { type: ['null', 'integer'] },
        sourceTitle: nullableString,
        publicAddress: { type: 'string' },
        accessToken: { type: 'string' },
        owned: { type: 'boolean' },
        home: { type: 'boolean' },
        synced: { type: 'boolean' },
        relay: { type: 'boolean' },
        presence: { type: 'boolean' },
        httpsRequired: { type: 'boolean' },
        publicAddressMatches: { type: 'boolean' },
        dnsRebindingProtection: { type: 'boolean' },
        natLoopbackSupported: { type: 'boolean' },
        connections: { type: 'array', items: resourceConnection },
      },
    },
  } as SchemaObject,
  relied: {
    type: 'array',
    maxItems: MAX_DEVICES,
    items: {
      type: 'object',
      required: ['name', 'clientIdentifier', 'provides', 'owned', 'connections'],
      properties: {
        name: { type: 'string' },
        product: { type: 'string' },
        productVersion: { type: 'string' },
        clientIdentifier: { type: 'string', minLength: 1 },
        provides: { type: 'string' },
        sourceTitle: nullableString,
        accessToken: { type: 'string' },
        owned: { type: 'boolean' },
        presence: { type: 'boolean' },
        connections: { type: 'array', items: resourceConnection },
      },
    },
  } as SchemaObject,
};

/** GET /identity on a Plex Media Server (no token needed). */
export const identity = {
  documented: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: {
        type: 'object',
        properties: { claimed: { type: 'boolean' }, machineIdentifier: { type: 'string' }, size: { type: 'integer' }, version: { type: 'string' } },
      },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: { type: 'object', required: ['machineIdentifier'], properties: { machineIdentifier: { type: 'string', minLength: 1 } } },
    },
  } as SchemaObject,
};

// ---- A Plex Media Server's live notifications and what is playing (plex-facts.md, "Live notifications from a server") ----

const stringOrInteger = { type: ['string', 'integer'] };

/** A `MediaContainer` holding a list under `child` (Metadata, Directory, Account, Device), its items of the given schema. */
function listContainer(child: string, item: SchemaObject, extra: Record<string, SchemaObject> = {}): SchemaObject {
  return {
    type: 'object',
    required: ['MediaContainer'],
    properties: { MediaContainer: { type: 'object', properties: { size: { type: 'integer' }, ...extra, [child]: { type: 'array', items: item } } } },
  };
}

/** One entry of PlaySessionStateNotification. */
const playSessionState = {
  documented: {
    type: 'object',
    required: ['sessionKey', 'clientIdentifier', 'guid', 'ratingKey', 'url', 'key', 'viewOffset', 'playQueueItemID', 'state'],
    properties: {
      sessionKey: { type: 'string' },
      clientIdentifier: { type: 'string' },
      guid: { type: 'string' },
      ratingKey: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      viewOffset: { type: 'integer' },
      playQueueItemID: { type: 'integer' },
      state: { enum: ['playing', 'paused', 'stopped', 'buffering'] },
      transcodeSession: { type: 'string' },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['sessionKey', 'state'],
    properties: {
      // A map key of ours: long keys from a hostile server would make every session costly.
      sessionKey: { type: 'string', minLength: 1, maxLength: 64 },
      state: { type: 'string' },
      clientIdentifier: { type: 'string' },
      ratingKey: { type: 'string' },
      key: { type: 'string' },
      viewOffset: { type: 'number' },
    },
  } as SchemaObject,
};

/** One message of GET {server}/:/websockets/notifications: `{ NotificationContainer: { type, size, ... } }`. */
export const notification = {
  documented: {
    type: 'object',
    required: ['NotificationContainer'],
    properties: {
      NotificationContainer: {
        type: 'object',
        required: ['type', 'size'],
        properties: {
          type: { type: 'string' },
          size: { type: 'integer' },
          PlaySessionStateNotification: { type: 'array', items: playSessionState.documented },
          TimelineEntry: { type: 'array', items: { type: 'object' } },
          ActivityNotification: { type: 'array', items: { type: 'object' } },
          StatusNotification: { type: 'array', items: { type: 'object' } },
        },
      },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['NotificationContainer'],
    properties: {
      NotificationContainer: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { type: 'string', minLength: 1 },
          PlaySessionStateNotification: { type: 'array', maxItems: MAX_SESSIONS, items: playSessionState.relied },
        },
      },
    },
  } as SchemaObject,
};

/** A session of GET /status/sessions, as the documented Metadata entry has it. */
const sessionDocumented: SchemaObject = {
  type: 'object',
  required: ['sessionKey', 'ratingKey', 'key', 'type', 'title', 'User', 'Player'],
  properties: {
    sessionKey: { type: 'string' },
    ratingKey: { type: 'string' },
    key: { type: 'string' },
    type: { type: 'string' },
    title: { type: 'string' },
    grandparentTitle: { type: 'string' },
    parentTitle: { type: 'string' },
    librarySectionID: stringOrInteger,
    librarySectionTitle: { type: 'string' },
    duration: { type: 'integer' },
    viewOffset: { type: 'integer' },
    User: { type: 'object', required: ['id', 'title'], properties: { id: stringOrInteger, title: { type: 'string' }, thumb: { type: 'string' } } },
    Player: {
      type: 'object',
      required: ['machineIdentifier', 'state'],
      properties: {
        address: { type: 'string' },
        machineIdentifier: { type: 'string' },
        platform: { type: 'string' },
        product: { type: 'string' },
        state: { type: 'string' },
        title: { type: 'string' },
        local: { type: 'boolean' },
      },
    },
    Session: { type: 'object', properties: { id: { type: 'string' }, bandwidth: { type: 'integer' }, location: { enum: ['lan', 'wan'] } } },
  },
};

/** The fields of a session we read, with their types; everything but the key may be missing. */
const sessionRelied: SchemaObject = {
  type: 'object',
  required: ['sessionKey'],
  properties: {
    sessionKey: { type: 'string', minLength: 1, maxLength: 64 },
    ratingKey: { type: 'string' },
    key: { type: 'string' },
    type: { type: 'string' },
    title: { type: 'string' },
    grandparentTitle: { type: 'string' },
    parentTitle: { type: 'string' },
    librarySectionID: stringOrInteger,
    librarySectionTitle: { type: 'string' },
    duration: { type: 'number' },
    viewOffset: { type: 'number' },
    User: { type: 'object', properties: { id: stringOrInteger, title: { type: 'string' } } },
    Player: {
      type: 'object',
      properties: {
        address: { type: 'string' },
        machineIdentifier: { type: 'string' },
        platform: { type: 'string' },
        product: { type: 'string' },
        state: { type: 'string' },
        title: { type: 'string' },
        local: { type: 'boolean' },
      },
    },
  },
};

/** GET /status/sessions: what is playing now, with who and where. */
export const sessions = { documented: listContainer('Metadata', sessionDocumented), relied: listContainer('Metadata', sessionRelied) };

/** GET / on a Plex Media Server: its name and identifier. */
export const serverRoot = {
  documented: {
    type: 'object',
    required: ['MediaContainer'],
    properties: {
      MediaContainer: {
        type: 'object',
        required: ['friendlyName', 'machineIdentifier', 'version'],
        properties: { friendlyName: { type: 'string' }, machineIdentifier: { type: 'string' }, version: { type: 'string' }, size: { type: 'integer' } },
      },
    },
  } as SchemaObject,
  relied: {
    type: 'object',
    required: ['MediaContainer'],
    properties: { MediaContainer: { type: 'object', properties: { friendlyName: { type: 'string' }, machineIdentifier: { type: 'string' } } } },
  } as SchemaObject,
};

/** An object with these required fields and these typed properties. */
function entry(required: string[], properties: Record<string, SchemaObject>): SchemaObject {
  return { type: 'object', required, properties };
}
const aString: SchemaObject = { type: 'string' };
const anInteger: SchemaObject = { type: 'integer' };

/** GET /accounts: the users who have used the server. */
export const accounts = {
  documented: listContainer('Account', entry(['id', 'name'], { id: anInteger, key: aString, name: aString })),
  relied: listContainer('Account', entry(['id'], { id: stringOrInteger, name: aString })),
};

/** GET /devices: the players that have connected to the server. */
export const devices = {
  documented: listContainer(
    'Device',
    entry(['id', 'name', 'clientIdentifier'], { id: anInteger, name: aString, platform: aString, clientIdentifier: aString, createdAt: anInteger }),
  ),
  relied: listContainer('Device', entry(['clientIdentifier'], { name: aString, platform: aString, clientIdentifier: aString })),
};

/** GET /library/sections: the server's libraries. */
export const librarySections = {
  documented: listContainer('Directory', entry(['key', 'title', 'type'], { key: aString, title: aString, type: aString })),
  relied: listContainer('Directory', entry(['key'], { key: stringOrInteger, title: aString, type: aString })),
};
