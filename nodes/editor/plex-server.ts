/** The plex-server config dialog: Find servers, Use, where a deployed server is found now, and whether it takes Plex JWTs. */
import type catalog from '../locales/en-US/plex-server.json';
import { parseBaseUrl, serverUrlProblem } from '../../src/shared/base-url';
import { formatMoment } from '../../src/shared/time';
import { adminRoutes, type ListedServer, type ServerJwt } from '../admin/contract';
import { callAdmin, DialogCalls, type AdminRefusal } from './lib/admin';
import { textsOf } from './lib/texts';

interface ServerProps {
  name: string;
  url: string;
  account: string;
  tls: string;
  machineIdentifier: string;
}

type ServerNode = EditorNodeInstance<ServerProps, { token: string }>;

const _ = textsOf<(typeof catalog)['plex-server']>('plex-server');

/** The account's own servers that are online first, then shared ones; offline ones last. */
function listOrder(a: ListedServer, b: ListedServer): number {
  const rank = (server: ListedServer) => (server.online ? 0 : 2) + (server.owned ? 0 : 1);
  return rank(a) - rank(b);
}

function showStatus(text: string, error = false, detail = ''): void {
  $('#plex-server-find-status').text(text).toggleClass('plex-server-error', error);
  $('#plex-server-find-detail').text(detail).toggle(Boolean(detail));
}

/** What went wrong in the runtime's words, or that Node-RED gave no answer. */
function reasonOf(refusal: AdminRefusal): string {
  return refusal.message ?? _('find.noAnswer');
}

const moment = (iso: string) => formatMoment(iso, RED.i18n.lang(), Date.now());

/**
 * Where the deployed node calls now, when that is not its URL (the server moved, and when), and
 * whether the server takes Plex JWTs yet, with a button to check it now.
 */
function showServerInUse(node: ServerNode, calls: DialogCalls): void {
  calls.ask(
    callAdmin(adminRoutes.serverInUse, { id: node.id }),
    ({ address, movedAt, jwt }) => {
      if (!address) return;
      showJwt(jwt);
      if (address === parseBaseUrl(node.url).url?.origin) return;
      $('#plex-server-in-use')
        .text(movedAt ? _('find.movedOn', { date: moment(movedAt), address }) : _('find.moved', { address }))
        .show();
    },
    () => undefined /* not deployed, or Node-RED unreachable: nothing to tell */,
  );
}

function showJwt(jwt: ServerJwt | null): void {
  const text = !jwt
    ? _('jwt.unchecked')
    : jwt.takesJwt
      ? _('jwt.yes', { time: moment(jwt.checkedAt) })
      : _('jwt.notYet', { time: moment(jwt.checkedAt), reason: jwt.reason ?? '' });
  $('#plex-server-jwt-state').text(text).removeClass('plex-server-error');
  $('#plex-server-jwt').show();
}

function checkJwt(node: ServerNode, calls: DialogCalls): void {
  $('#plex-server-jwt-state').text(_('jwt.checking'));
  calls.ask(callAdmin(adminRoutes.checkServerJwt, { id: node.id }), showJwt, (refusal: AdminRefusal) => {
    $('#plex-server-jwt-state')
      .text(_('jwt.failed', { message: reasonOf(refusal) }))
      .addClass('plex-server-error');
  });
}

/** Use: the runtime tries the server's connections from the Node-RED host and keeps a shared server's token. */
function pick(node: ServerNode, server: ListedServer, calls: DialogCalls): void {
  showStatus(_('find.trying', { name: server.name }));
  const $buttons = $('#plex-server-list button').prop('disabled', true);
  const body = {
    account: String($('#node-config-input-account').val()),
    machineIdentifier: server.machineIdentifier,
    tls: String($('#node-config-input-tls').val() ?? ''),
  };
  calls.ask(
    callAdmin(adminRoutes.pickServer, { id: node.id }, body).finally(() => $buttons.prop('disabled', false)),
    (picked) => {
      $('#node-config-input-name').val(picked.name);
      $('#node-config-input-url').val(picked.url).trigger('change');
      $('#node-config-input-machineIdentifier').val(picked.machineIdentifier);
      // The token stays in the runtime: the field only says that one is set (Node-RED keeps it on Deploy).
      $('#node-config-input-token').val(picked.tokenSet ? '__PWRD__' : '');
      showStatus(_(picked.tokenSet ? 'find.pickedShared' : 'find.picked', { name: picked.name, url: picked.url }));
    },
    (refusal: AdminRefusal) => {
      if (refusal.code === 'PLEX_UNREACHABLE') showStatus(_('find.unreachable', { name: server.name }), true, _('find.tried', { message: reasonOf(refusal) }));
      else showStatus(_('find.pickFailed', { name: server.name, message: reasonOf(refusal) }), true);
    },
  );
}

function findServers(node: ServerNode, calls: DialogCalls): void {
  const $list = $('#plex-server-list').empty().hide();
  const account = String($('#node-config-input-account').val() ?? '');
  if (!account || account === '_ADD_') return showStatus(_('find.noAccount'), true);
  showStatus(_('find.searching'));
  calls.ask(
    callAdmin(adminRoutes.accountServers, { id: account }),
    ({ servers }) => {
      if (!servers.length) return showStatus(_('find.none'));
      showStatus('');
      for (const server of [...servers].sort(listOrder)) {
        const $row = $('<tr>').appendTo($list);
        $('<td>').text(server.name).appendTo($row);
        $('<td>')
          .text(server.owner ?? _('find.yours'))
          .appendTo($row);
        $('<td>')
          .text(server.online ? _('find.online') : _('find.offline'))
          .toggleClass('plex-server-offline', !server.online)
          .appendTo($row);
        $('<td>').text(server.version.split('-')[0]).attr('title', server.version).appendTo($row); // the build hash adds nothing here
        $('<button type="button" class="red-ui-button red-ui-button-small">')
          .text(_('find.use'))
          .attr('data-machine-identifier', server.machineIdentifier)
          .on('click', () => pick(node, server, calls))
          .appendTo($('<td>').appendTo($row));
      }
      $list.show();
    },
    (refusal: AdminRefusal) => showStatus(_('find.failed', { message: reasonOf(refusal) }), true),
  );
}

/** The calls of each open dialog, by node id (a config node never added is cancelled with only its id). */
const openDialogs = new Map<string, DialogCalls>();

function closeDialog(id: string): void {
  openDialogs.get(id)?.close();
  openDialogs.delete(id);
}

RED.nodes.registerType('plex-server', {
  category: 'config',
  defaults: {
    name: { value: '' },
    url: { value: '', required: true, validate: (value: string) => serverUrlProblem(value) === null },
    account: { value: '', type: 'plex-account', required: true },
    tls: { value: '', type: 'tls-config', required: false },
    machineIdentifier: { value: '' },
  },
  credentials: {
    token: { type: 'password' },
  },
  label(this: ServerNode) {
    return this.name || (this.url || '').replace(/^https?:\/\//, '').replace(/\/$/, '') || _('label.node');
  },
  oneditprepare(this: ServerNode) {
    const node = this;
    for (const field of ['url', 'account', 'token', 'tls', 'machineIdentifier'] as const) {
      RED.popover.tooltip($(`#node-config-input-${field}`).closest('.form-row').find('label'), _(`tip.${field}`));
    }
    $('#node-config-input-url').on('input change', function () {
      const value = String($(this).val());
      $('#plex-server-url-invalid').toggle(value.trim() !== '' && serverUrlProblem(value) !== null);
    });
    const calls = new DialogCalls();
    openDialogs.set(node.id, calls);
    showServerInUse(node, calls);
    $('#plex-server-find').on('click', () => findServers(node, calls));
    $('#plex-server-jwt-check').on('click', () => checkJwt(node, calls));
  },
  oneditsave(this: ServerNode) {
    closeDialog(this.id);
  },
  oneditcancel(this: Pick<ServerNode, 'id'>) {
    closeDialog(this.id);
  },
  oneditdelete(this: ServerNode) {
    closeDialog(this.id);
  },
});
