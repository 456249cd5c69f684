/** The stand-in's pages for people: approving a PIN as plex.tv would, a TV that shows a code, moving a server, a player. */
import type { PlexStandIn, StandInPin } from '../plex-stand-in';
import { escapeHtml, html, page, seeOther, type Route } from './exchange';
import { ITEMS, PLAYERS, USERS, type StandInItem, type StandInPlayer, type StandInUserPlan } from './notifications';

/** What the player page's buttons start: who plays what, where. */
const PLAYS: Record<string, { label: string; item: StandInItem; user: StandInUserPlan; player: StandInPlayer }> = {
  movie: { label: 'Alex plays a movie on the Living Room TV', item: ITEMS.movie, user: USERS.owner, player: PLAYERS.livingRoom },
  kids: { label: 'The kids play an episode on their tablet', item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet },
  track: { label: 'Alex plays music on the phone, away from home', item: ITEMS.track, user: USERS.owner, player: PLAYERS.phone },
};
/** How long the server is away when the page restarts it. */
const RESTART_DOWN_MS = 5000;

export function demoRoutes(standIn: PlexStandIn): Route[] {
  return [
    { method: 'GET', path: /^\/demo$/, handle: ({ res }) => page(res, approvalPage(standIn)) },
    // The stand-in's app.plex.tv/auth: the dialog's link and QR code lead here; the PIN's code is in the fragment.
    { method: 'GET', path: /^\/auth$/, handle: ({ res }) => page(res, approvalPage(standIn)) },
    // The stand-in's plex.tv/link: type the 4-character code another device shows.
    { method: 'GET', path: /^\/link$/, handle: ({ res }) => page(res, linkPage()) },
    {
      method: 'POST',
      path: /^\/link$/,
      handle({ res, body }) {
        const code = (new URLSearchParams(body).get('code') ?? '').trim().toUpperCase();
        const pin = [...standIn.pins.values()].find((each) => !each.strong && each.code === code && Date.now() < each.expiresAt);
        if (pin) standIn.approve(pin.id, 'demo-user');
        page(
          res,
          linkPage(pin ? `Linked: ${pin.product || 'the device'} is signed in as demo-user.` : `No code ${code} is waiting (codes last a few minutes).`),
        );
      },
    },
    {
      // "Sign out everywhere" for one sign-in: its token is refused from now on, by plex.tv and the servers.
      method: 'POST',
      path: /^\/demo\/revoke\/(\d+)$/,
      handle({ res, match }) {
        const token = standIn.pins.get(Number(match[1]))?.authToken;
        if (token) standIn.revokeToken(token);
        seeOther(res, '/demo');
      },
    },
    {
      // The day Plex ships server-side JWTs: every server of the stand-in takes Plex JWTs, or refuses them as today.
      method: 'POST',
      path: /^\/demo\/jwt\/(on|off)$/,
      handle({ res, match }) {
        standIn.setTakesPlexJwts(match[1] === 'on');
        seeOther(res, '/demo');
      },
    },
    {
      method: 'POST',
      path: /^\/demo\/approve\/(\d+)$/,
      handle({ res, match }) {
        if (standIn.pins.has(Number(match[1]))) standIn.approve(Number(match[1]), 'demo-user');
        seeOther(res, '/demo');
      },
    },
    {
      method: 'POST',
      path: /^\/demo\/move\/([\w-]+)$/,
      async handle({ res, match }) {
        try {
          await standIn.moveServer(match[1]);
        } catch {
          return html(res, 404, '404 Not Found');
        }
        seeOther(res, '/demo');
      },
    },
    { method: 'GET', path: /^\/demo\/player$/, handle: ({ res }) => page(res, playerPage(standIn)) },
    {
      method: 'POST',
      path: /^\/demo\/player\/play\/(\w+)$/,
      handle({ res, match }) {
        const play = PLAYS[match[1]];
        if (!play) return html(res, 404, '404 Not Found');
        standIn.playback.play(play);
        seeOther(res, '/demo/player');
      },
    },
    {
      method: 'POST',
      path: /^\/demo\/player\/session\/(\d+)\/(pause|resume|buffer|tick|stop)$/,
      handle({ res, match }) {
        if (!standIn.playback.sessions.has(match[1])) return html(res, 404, '404 Not Found');
        standIn.playback[match[2] as 'pause' | 'resume' | 'buffer' | 'tick' | 'stop'](match[1]);
        seeOther(res, '/demo/player');
      },
    },
    {
      method: 'POST',
      path: /^\/demo\/player\/(scan|drop|restart)$/,
      handle({ res, match }) {
        if (match[1] === 'scan') standIn.playback.scan();
        if (match[1] === 'drop') standIn.playback.dropSockets();
        // After the answer is out: the restart takes this very server away for a while.
        if (match[1] === 'restart') res.once('finish', () => void standIn.restart(RESTART_DOWN_MS));
        seeOther(res, '/demo/player');
      },
    },
    {
      method: 'GET',
      path: /^\/demo\/tv$/,
      handle: ({ res }) => seeOther(res, `/demo/tv/${standIn.newPin({ clientIdentifier: 'stand-in-tv', product: 'Stand-in TV', strong: false }).id}`),
    },
    {
      method: 'GET',
      path: /^\/demo\/tv\/(\d+)$/,
      handle({ res, match }) {
        const pin = standIn.pins.get(Number(match[1]));
        if (!pin || pin.strong) return html(res, 404, '404 Not Found');
        page(res, tvPage(standIn, pin));
      },
    },
  ];
}

function serversTable(standIn: PlexStandIn): string {
  if (!standIn.servers.size) return '';
  const rows = [...standIn.servers.values()]
    .map((server) => {
      const device = server.device() as { connections: Array<{ uri: string }> };
      return (
        `<tr><td>${escapeHtml(server.name)}</td><td><code>${server.standIn.machineIdentifier.slice(0, 12)}…</code></td><td>${device.connections.map((c) => escapeHtml(c.uri)).join('<br>')}</td>` +
        `<td><form method="post" action="/demo/move/${server.standIn.machineIdentifier}"><button type="submit">Move to new ports</button></form></td></tr>`
      );
    })
    .join('');
  return `<h2>Servers of the account</h2><table><tr><th>name</th><th>machineIdentifier</th><th>connections</th><th></th></tr>${rows}</table>`;
}

/** The stand-in for the plex.tv approval page: every waiting PIN, with a button. */
function approvalPage(standIn: PlexStandIn): string {
  const now = Date.now();
  const rows = [...standIn.pins.values()]
    .filter((pin) => now < pin.expiresAt)
    .reverse()
    .map((pin) => {
      const left = Math.round((pin.expiresAt - now) / 1000);
      const revoked = pin.authToken !== null && !standIn.accountTokens.has(pin.authToken);
      const action = revoked
        ? '<span>approved, its token revoked</span>'
        : pin.authToken
          ? `<span class="ok">approved</span> <form method="post" action="/demo/revoke/${pin.id}"><button type="submit">Revoke this token</button></form>`
          : `<form method="post" action="/demo/approve/${pin.id}"><button type="submit">Approve</button></form>`;
      return `<tr data-code="${escapeHtml(pin.code)}"><td>${pin.id}</td><td><code>${escapeHtml(pin.code)}</code></td><td>${escapeHtml(pin.product)}</td><td>${left} s</td><td>${action}</td></tr>`;
    })
    .join('');
  const jwts = standIn.takesPlexJwts;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: approve a PIN</title>
<meta http-equiv="refresh" content="5"><style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}.ok{color:green}
form{display:inline-block}tr.asked{background:#fff3c4}</style></head>
<body><h1>Plex stand-in</h1><p>This page plays the part of plex.tv: approve a PIN as its owner would (the one the
sign-in link names is marked), or revoke a token as "sign out of all devices" on plex.tv does, to watch "sign in again"
and then mend it. Or play <a href="/demo/tv">a TV that shows a code</a> for a plex-link-code node to link, or
<a href="/demo/player">players on the Plex server</a> for a plex-events node to hear.</p>
<table><tr><th>PIN id</th><th>code</th><th>product</th><th>expires in</th><th></th></tr>${rows || '<tr><td colspan="5">No PIN is waiting. Make one with Sign in with Plex or a plex-pin node.</td></tr>'}</table>
<h2>Plex JWTs at the servers</h2><p>${
    jwts
      ? 'The servers take Plex JWTs (the day Plex ships it). <form method="post" action="/demo/jwt/off"><button type="submit">Refuse them again, as today</button></form>'
      : 'The servers refuse Plex JWTs, as real ones do today. <form method="post" action="/demo/jwt/on"><button type="submit">Take them (the cutover)</button></form>'
  }
A "Plex JWT" account moves a server to its JWT at the next check (Check now in the server's dialog), and back at once when it is refused.</p>
${serversTable(standIn)}
<script>var code = new URLSearchParams(location.hash.replace(/^#!?\\??/, '')).get('code');
if (code) document.querySelectorAll('tr[data-code]').forEach(function (row) { if (row.getAttribute('data-code') === code) row.className = 'asked'; });</script></body></html>`;
}

/** The stand-in's plex.tv/link: a form for the 4-character code another device shows. */
function linkPage(said = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: link a device</title>
<style>body{font-family:sans-serif;margin:2em}input{font-size:2em;width:5em;text-transform:uppercase;font-family:monospace}</style></head>
<body><h1>Link a device</h1><p>This page plays plex.tv/link: enter the 4-character code the device (or the Node-RED dialog) shows.</p>
<form method="post" action="/link"><input name="code" maxlength="4" autofocus> <button type="submit">Link</button></form>
<p>${escapeHtml(said)}</p><p><a href="/demo">Back to the stand-in</a></p></body></html>`;
}

/** A TV that shows its 4-character code until an account links it (then whose it is). */
function tvPage(standIn: PlexStandIn, pin: StandInPin): string {
  const now = Date.now();
  const account = pin.authToken ? standIn.accountTokens.get(pin.authToken) : undefined;
  const state = pin.authToken
    ? `<p class="ok">Linked to ${escapeHtml(account?.username ?? 'an account')}.</p>`
    : now >= pin.expiresAt
      ? '<p>The code expired. <a href="/demo/tv">Show a new one</a>.</p>'
      : `<p>Waiting to be linked: send <code>${escapeHtml(pin.code)}</code> to a plex-link-code node, or type it under "Link a TV's code" in the account's dialog (${Math.round((pin.expiresAt - now) / 1000)} s left).</p>`;
  const refresh = pin.authToken || now >= pin.expiresAt ? '' : '<meta http-equiv="refresh" content="2">';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: a TV to link</title>${refresh}
<style>body{font-family:sans-serif;margin:2em}.code{font-size:4em;letter-spacing:.2em;font-family:monospace}.ok{color:green}</style></head>
<body><h1>A TV to link</h1><p>This page plays a TV that asks to be linked to a Plex account, as plex.tv/link does.</p>
<p class="code" data-pin="${pin.id}">${escapeHtml(pin.code)}</p>${state}<p><a href="/demo">Back to the stand-in</a></p></body></html>`;
}

/** Players on the server: start, pause, stop what plays, and make the server restart, for a plex-events node to hear. */
function playerPage(standIn: PlexStandIn): string {
  const button = (action: string, label: string) => `<form method="post" action="${action}"><button type="submit">${escapeHtml(label)}</button></form>`;
  const rows = [...standIn.playback.sessions.values()]
    .map((session) => {
      const key = session.sessionKey;
      const toggle = session.state === 'playing' ? button(`/demo/player/session/${key}/pause`, 'Pause') : button(`/demo/player/session/${key}/resume`, 'Play');
      const what = [session.item.grandparentTitle, session.item.title].filter(Boolean).join(': ');
      const actions = [
        toggle,
        button(`/demo/player/session/${key}/buffer`, 'Buffer'),
        button(`/demo/player/session/${key}/tick`, '+10 s'),
        button(`/demo/player/session/${key}/stop`, 'Stop'),
      ].join('');
      return (
        `<tr><td>${key}</td><td>${escapeHtml(session.user.title)}</td><td>${escapeHtml(what)}</td><td>${escapeHtml(session.player.title)}</td>` +
        `<td>${session.state}</td><td>${Math.round(session.viewOffset / 1000)} s</td><td class="actions">${actions}</td></tr>`
      );
    })
    .join('');
  const starts = Object.entries(PLAYS)
    .map(([name, play]) => button(`/demo/player/play/${name}`, play.label))
    .join('');
  const sockets = standIn.playback.sockets;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: players</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}form{display:inline-block;margin:0 .3em .3em 0}.ok{color:green}</style></head>
<body><h1>Players on the Plex server</h1><p>This page plays the people in front of the server's players: what they do, a
plex-events node hears through the server's notifications. <span class="${sockets ? 'ok' : ''}">${sockets} notification connection${sockets === 1 ? '' : 's'} open.</span></p>
<p>${starts}</p>
<table><tr><th>session</th><th>who</th><th>what</th><th>where</th><th>state</th><th>at</th><th></th></tr>${rows || '<tr><td colspan="7">Nothing plays. Start something above.</td></tr>'}</table>
<h2>The server</h2><p>${button('/demo/player/scan', 'Scan the library')}${button('/demo/player/drop', 'Drop the connections (a network drop)')}${button('/demo/player/restart', `Restart the server (away ${RESTART_DOWN_MS / 1000} s)`)}</p>
<p>A restart takes this page away too for ${RESTART_DOWN_MS / 1000} seconds: reload it then.</p>
<p><a href="/demo">Back to the stand-in</a></p></body></html>`;
}
