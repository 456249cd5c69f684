/**
 * What the runtime and the editor say to each other: every admin route of the package (its
 * method, its path pattern, the types of its request body and answer) and the comms topic of
 * a refused token. The runtime serves the routes from it (nodes/admin/account-routes.ts,
 * server-routes.ts) and the dialogs call them from it (nodes/editor/), so a field renamed on
 * one side is a compile error on the other. Pure: no Node.js, no DOM, no Node-RED.
 */

/** An admin route. `pattern` is as Express takes it; Body and Answer only ride along for the compiler. */
export interface AdminRoute<Pattern extends string, Body, Answer> {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly pattern: Pattern;
  /** Never set: it carries the types. */
  readonly types?: { body: Body; answer: Answer };
}

/** The `:name` parameters of a pattern. */
export type ParamsOf<Pattern extends string> = Pattern extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamsOf<Rest>
  : Pattern extends `${string}:${infer Name}`
    ? Name
    : never;

/** Body and Answer are given, the pattern's literal type is inferred from the argument. */
function route<Body, Answer>() {
  return <Pattern extends string>(method: AdminRoute<Pattern, Body, Answer>['method'], pattern: Pattern): AdminRoute<Pattern, Body, Answer> => ({
    method,
    pattern,
  });
}

/** The path the editor calls: relative (no leading "/"), the only kind of URL the editor adds its admin token to. */
export function pathTo<Pattern extends string>(route: AdminRoute<Pattern, unknown, unknown>, params: Record<ParamsOf<Pattern>, string | number>): string {
  const values: Record<string, string | number> = params;
  return route.pattern.slice(1).replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(values[name])));
}

/** A route that takes no body. */
export type NoBody = undefined;

export type Auth = 'token' | 'jwt';

/** The account's identity as the dialog shows it now: the node may be new, or edited since its Deploy. */
export interface IdentityBody {
  clientIdentifier: string;
  product: string;
  deviceName: string;
}

export interface SignInBody extends IdentityBody {
  plexTvUrl: string;
}

/** What plex.tv said about the token: only "revoked" means it is dead. */
export type TokenCheck = { state: 'valid'; username: string } | { state: 'revoked' } | { state: 'unreachable'; message: string };

/** The key device of an account with auth "jwt": its own client identity that holds the Plex JWT for plex.tv. */
export interface KeyDevice {
  state: 'none' | 'setting-up' | 'ready' | 'failed';
  /** Its client identifier (the node's jwtClientIdentifier), once it has one. */
  clientIdentifier: string | null;
  /** When its Plex JWT expires (it renews itself before), ISO 8601. */
  expiresAt: string | null;
  /** What plex.tv answered when it could not be made, and when it is tried again. */
  error: string | null;
  retryAt: string | null;
}

/** What the editor may know of an account: never a token or a key. */
export interface AccountState {
  signedIn: boolean;
  auth: Auth;
  /** It holds a Plex JWT saved by version 0.2 as its token, which servers refuse: sign in again. */
  legacyJwt: boolean;
  /** plex.tv or a server refused the token: the account needs a new sign-in. */
  signInNeeded: boolean;
  lastCheck: (TokenCheck & { at: string }) | null;
  keyDevice: KeyDevice;
}

export interface SignInStarted {
  /** The strong PIN's id: the one the dialog follows. */
  pinId: number;
  authUrl: string;
  /** The QR code of authUrl (a data: URL); null when the URL is too long for one. */
  qrSvg: string | null;
  /** When plex.tv drops the strong PIN (authUrl, the QR code). */
  expiresAt: string;
  /** The 4-character code for linkUrl, and when plex.tv drops it; null when plex.tv gave none. */
  code: string | null;
  linkUrl: string | null;
  linkExpiresAt: string | null;
}

export type SignInState = 'waiting' | 'approved' | 'expired' | 'cancelled' | 'failed';

export interface SignInProgress {
  state: SignInState;
  username: string | null;
  message: string | null;
}

/** A server of the account as the dialog lists it: no token, no connection. */
export interface ListedServer {
  name: string;
  machineIdentifier: string;
  owned: boolean;
  /** Who shares it with the account; null for one of the account's own. */
  owner: string | null;
  online: boolean;
  version: string;
}

export interface PickBody {
  account: string;
  machineIdentifier: string;
  /** The tls-config node chosen in the dialog, or "". */
  tls: string;
}

export interface PickedServer {
  name: string;
  /** The best connection that answered /identity as that server from the Node-RED host. */
  url: string;
  machineIdentifier: string;
  owned: boolean;
  /** A shared server's own token is now the node's credential (in the runtime only). */
  tokenSet: boolean;
}

/** Whether a server takes Plex JWTs, as the account's last check of it found. */
export interface ServerJwt {
  takesJwt: boolean;
  checkedAt: string;
  /** Why not, in a few words. */
  reason: string | null;
}

export interface ServerInUse {
  /** The address a deployed plex-server calls now: its url, or where it found its server since; null when not deployed. */
  address: string | null;
  /** When it found its server at that other address (ISO 8601); null when it never moved. */
  movedAt: string | null;
  /** The last JWT check of the server; null before one. */
  jwt: ServerJwt | null;
}

export interface LinkedCode {
  code: string;
  linked: true;
}

/** A choice the plex-events dialog offers for a filter: an id (a player's machineIdentifier) and the name people know it by. */
export interface FilterChoice {
  id: string;
  title: string;
  /** A library's kind (movie, show, artist, photo) or a player's platform. */
  kind?: string;
}

/** What a server offers the plex-events dialog as filters. */
export interface FilterChoices {
  users: FilterChoice[];
  /** The players it has seen. */
  players: FilterChoice[];
  libraries: FilterChoice[];
  /** The kinds of media a session plays (movie, episode, ...). */
  types: readonly string[];
}

/** How every route answers a refusal or a failure: the message, and the PLEX_* code of a Plex failure. */
export interface AdminFailure {
  error: string;
  code?: string;
}

export const adminRoutes = {
  /** The token's state: signed in, refused ("sign-in needed"), its kind, the last check. */
  accountState: route<NoBody, AccountState>()('GET', '/plex-auth/accounts/:id'),
  startSignIn: route<SignInBody, SignInStarted>()('POST', '/plex-auth/accounts/:id/pin'),
  signInProgress: route<NoBody, SignInProgress>()('GET', '/plex-auth/accounts/:id/pin/:pinId'),
  cancelSignIn: route<NoBody, { state: SignInState }>()('DELETE', '/plex-auth/accounts/:id/pin/:pinId'),
  checkToken: route<NoBody, TokenCheck | { state: 'signed-out' }>()('POST', '/plex-auth/accounts/:id/check'),
  /** Makes the key device now ("Move to JWT", "Try again"); the classic token keeps working. */
  moveToJwt: route<{ jwtClientIdentifier?: string }, AccountState>()('POST', '/plex-auth/accounts/:id/jwt'),
  /** Forgets the key device ("Back to Standard"). */
  backToStandard: route<NoBody, AccountState>()('DELETE', '/plex-auth/accounts/:id/jwt'),
  signOut: route<NoBody, AccountState>()('DELETE', '/plex-auth/accounts/:id/token'),
  /** Links a code another device shows, as the account (what plex.tv/link does). */
  linkCode: route<{ code: string }, LinkedCode>()('POST', '/plex-auth/accounts/:id/link'),
  accountServers: route<NoBody, { servers: ListedServer[] }>()('GET', '/plex-auth/accounts/:id/servers'),
  pickServer: route<PickBody, PickedServer>()('POST', '/plex-auth/servers/:id/pick'),
  serverInUse: route<NoBody, ServerInUse>()('GET', '/plex-auth/servers/:id'),
  /** Checks now whether a running server takes its Plex JWT. */
  checkServerJwt: route<NoBody, ServerJwt>()('POST', '/plex-auth/servers/:id/jwt'),
  /** A running server's users, the players it has seen and its libraries, for the plex-events filters. */
  eventChoices: route<NoBody, FilterChoices>()('GET', '/plex-auth/servers/:id/choices'),
};

/**
 * RED.comms: the runtime publishes here, retained, when plex.tv or a server refuses an
 * account's token, and again (not retained) when that has cleared; every editor subscribes once.
 */
export const SIGN_IN_NEEDED_TOPICS = 'plex-auth/sign-in-needed/+';
export const signInNeededTopic = (accountId: string) => `plex-auth/sign-in-needed/${accountId}`;
export const accountOfSignInNeededTopic = (topic: string) => topic.slice(signInNeededTopic('').length);

export interface SignInNeeded {
  /** The account's name ("" when it has none): the editor labels it as it labels the node. */
  name: string;
  signInNeeded: boolean;
}
