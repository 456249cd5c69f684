/** The stand-in's pages for people: approving a PIN as plex.tv would, a TV that shows a code, moving a server. */
import type { PlexStandIn, StandInPin } from '../plex-stand-in';
import { escapeHtml, html, page, seeOther, type Route } from './exchange';

export function demoRoutes(standIn: PlexStandIn): Route[] {
  return [
    { method: 'GET', path: /^\/demo$/, handle: ({ res }) => page(res, approvalPage(standIn)) },
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
  const rows = [...standIn.servers.values()].map((server) => {
    const device = server.device() as { connections: Array<{ uri: string }> };
    return `<tr><td>${escapeHtml(server.name)}</td><td><code>${server.standIn.machineIdentifier.slice(0, 12)}…</code></td><td>${device.connections.map((c) => escapeHtml(c.uri)).join('<br>')}</td>`
      + `<td><form method="post" action="/demo/move/${server.standIn.machineIdentifier}"><button type="submit">Move to new ports</button></form></td></tr>`;
  }).join('');
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
      const action = pin.authToken
        ? '<span class="ok">approved</span>'
        : `<form method="post" action="/demo/approve/${pin.id}"><button type="submit">Approve</button></form>`;
      return `<tr><td>${pin.id}</td><td><code>${escapeHtml(pin.code)}</code></td><td>${escapeHtml(pin.product)}</td><td>${left} s</td><td>${action}</td></tr>`;
    })
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: approve a PIN</title>
<meta http-equiv="refresh" content="5"><style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em .8em;text-align:left}.ok{color:green}</style></head>
<body><h1>Plex stand-in</h1><p>This page plays the part of plex.tv: approve a PIN as its owner would.
Or play <a href="/demo/tv">a TV that shows a code</a> for a plex-link-code node to link.</p>
<table><tr><th>PIN id</th><th>code</th><th>product</th><th>expires in</th><th></th></tr>${rows || '<tr><td colspan="5">No PIN is waiting. Make one with a plex-pin node.</td></tr>'}</table>
${serversTable(standIn)}</body></html>`;
}

/** A TV that shows its 4-character code until an account links it (then whose it is). */
function tvPage(standIn: PlexStandIn, pin: StandInPin): string {
  const now = Date.now();
  const account = pin.authToken ? standIn.accountTokens.get(pin.authToken) : undefined;
  const state = pin.authToken
    ? `<p class="ok">Linked to ${escapeHtml(account?.username ?? 'an account')}.</p>`
    : now >= pin.expiresAt
      ? '<p>The code expired. <a href="/demo/tv">Show a new one</a>.</p>'
      : `<p>Waiting to be linked: send <code>${escapeHtml(pin.code)}</code> to a plex-link-code node (${Math.round((pin.expiresAt - now) / 1000)} s left).</p>`;
  const refresh = pin.authToken || now >= pin.expiresAt ? '' : '<meta http-equiv="refresh" content="2">';
  return `<!doctype html><html><head><meta charset="utf-8"><title>Plex stand-in: a TV to link</title>${refresh}
<style>body{font-family:sans-serif;margin:2em}.code{font-size:4em;letter-spacing:.2em;font-family:monospace}.ok{color:green}</style></head>
<body><h1>A TV to link</h1><p>This page plays a TV that asks to be linked to a Plex account, as plex.tv/link does.</p>
<p class="code" data-pin="${pin.id}">${escapeHtml(pin.code)}</p>${state}<p><a href="/demo">Back to the stand-in</a></p></body></html>`;
}
