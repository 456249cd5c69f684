/** The plex-account config dialog: the client identity, the sign-in panel, and the notice of a refused token. */
import { parseBaseUrl } from '../../src/shared/base-url';
import { uuidFromBytes } from '../../src/shared/client-id';
import { SignInPanel } from './plex-account/sign-in-panel';
import { editingAccount, offerSignInWhenNeeded } from './plex-account/sign-in-notice';
import { _ } from './plex-account/texts';

interface AccountProps {
  name: string;
  clientIdentifier: string;
  product: string;
  deviceName: string;
  auth: string;
  jwtClientIdentifier: string;
  plexTvUrl: string;
}

type AccountNode = EditorNodeInstance<AccountProps, { token: string; jwt: string; privateKey: string }>;

/** randomUUID needs a secure context; the editor is often served over plain http on a LAN. */
function newClientIdentifier(): string {
  return window.crypto.randomUUID?.() ?? uuidFromBytes(window.crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The dialog open for each node being edited, by node id: Node-RED calls oneditcancel of a
 * config node that was never added with a stand-in object that has only its id.
 */
const panels = new Map<string, SignInPanel>();

/** Ends the dialog's sign-in; true when the runtime's token changed, so that the editor records a change and Deploy saves it. */
function closePanel(node: Pick<AccountNode, 'id'>): boolean {
  const panel = panels.get(node.id);
  panels.delete(node.id);
  editingAccount(node.id, false);
  panel?.close();
  return Boolean(panel?.tokenChanged);
}

RED.nodes.registerType('plex-account', {
  category: 'config',
  defaults: {
    name: { value: '' },
    clientIdentifier: { value: '', required: true },
    product: { value: 'Node-RED', required: true },
    deviceName: { value: 'Node-RED' },
    // As the runtime and the contract have it; the dialog offers the Plex JWT beside it.
    auth: { value: 'token' },
    // Made by the runtime with the account's key device, and kept here by the next Deploy.
    jwtClientIdentifier: { value: '' },
    plexTvUrl: {
      value: 'https://plex.tv',
      required: true,
      // The runtime's rule (src/shared/base-url.ts). Two parameters: only then does Node-RED show the text returned as the reason.
      validate: (value: string, _opt: object) => {
        const { problem } = parseBaseUrl(value);
        return problem ? _(`invalid.plexTvUrl-${problem}`) : true;
      },
    },
  },
  credentials: {
    token: { type: 'password' },
    jwt: { type: 'password' },
    privateKey: { type: 'password' },
  },
  label(this: AccountNode) {
    return this.name || (this.product && this.product !== 'Node-RED' ? this.product : '') || _('label.account');
  },
  onadd(this: AccountNode) {
    if (!this.clientIdentifier) this.clientIdentifier = newClientIdentifier();
  },
  oneditprepare(this: AccountNode) {
    const node = this;
    if (!$('#node-config-input-clientIdentifier').val()) $('#node-config-input-clientIdentifier').val(node.clientIdentifier || newClientIdentifier());
    $('#plex-account-advanced-toggle').on('click', function (event) {
      event.preventDefault();
      $('#plex-account-advanced').toggle();
      $(this).find('i').toggleClass('fa-caret-right fa-caret-down');
    });
    if (node.plexTvUrl && node.plexTvUrl !== 'https://plex.tv') $('#plex-account-advanced-toggle').trigger('click');
    for (const field of ['product', 'deviceName', 'plexTvUrl'] as const) RED.popover.tooltip($(`#node-config-input-${field}`).prev('label'), _(`tip.${field}`));
    // Saved before auth existed: it holds a standard token.
    if (!node.auth) $('#node-config-input-auth').val('token');
    const panel = new SignInPanel(node.id);
    panels.set(node.id, panel);
    editingAccount(node.id, true);
    $('#plex-account-move-jwt, #plex-account-retry-jwt').on('click', () => panel.moveToJwt());
    $('#plex-account-back-standard').on('click', () => panel.backToStandard());
    $('#plex-account-signin').on('click', () => panel.start());
    $('#plex-account-signin-cancel').on('click', () => panel.cancel());
    $('#plex-account-check').on('click', () => panel.check());
    $('#plex-account-signout').on('click', () => panel.askSignOut(true));
    $('#plex-account-signout-no').on('click', () => panel.askSignOut(false));
    $('#plex-account-signout-yes').on('click', () => panel.signOut());
    $('#plex-account-link-button').on('click', () => panel.linkCode());
    $('#plex-account-link-code').on('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault(); // not the dialog's Done
        panel.linkCode();
      }
    });
    panel.load(Boolean(node.credentials?.has_token));
  },
  oneditsave(this: AccountNode) {
    return closePanel(this);
  },
  oneditcancel(this: AccountNode) {
    closePanel(this);
  },
  oneditdelete(this: AccountNode) {
    closePanel(this);
  },
});

offerSignInWhenNeeded();
