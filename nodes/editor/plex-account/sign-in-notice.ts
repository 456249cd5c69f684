/**
 * When plex.tv or a server refuses an account's token, every open editor shows one notice
 * (as Home Assistant asks for a re-authentication) with a button that opens the account's
 * dialog; it goes away when that dialog opens, or when the runtime says the sign-in is no
 * longer needed. While the account's dialog is open it says so itself: no notice then.
 */
import { SIGN_IN_NEEDED_TOPICS, accountOfSignInNeededTopic, type SignInNeeded } from '../../admin/contract';
import { _ } from './texts';

const notices = new Map<string, EditorNotification>();
/** The accounts whose dialog is open. */
const editing = new Set<string>();

function closeNotice(accountId: string): void {
  notices.get(accountId)?.close();
  notices.delete(accountId);
}

/** The account's dialog opened (true) or closed (false). */
export function editingAccount(accountId: string, open: boolean): void {
  if (open) {
    editing.add(accountId);
    closeNotice(accountId);
  } else {
    editing.delete(accountId);
  }
}

export function offerSignInWhenNeeded(): void {
  RED.comms.subscribe(SIGN_IN_NEEDED_TOPICS, (topic: string, said: SignInNeeded) => {
    const accountId = accountOfSignInNeededTopic(topic);
    closeNotice(accountId);
    if (!said.signInNeeded || editing.has(accountId)) return;
    const account = RED.nodes.node(accountId);
    const name = account ? RED.utils.getNodeLabel(account) : said.name || accountId;
    const buttons: EditorNotifyButton[] = [{ text: _('notify.later'), click: () => notice.close() }];
    // The account may be gone from this editor (deleted, not yet deployed): then there is no dialog to open.
    if (account) buttons.push({ text: _('notify.open'), class: 'primary', click: () => RED.editor.editConfig('', 'plex-account', accountId) });
    const notice = RED.notify(_('notify.sign-in-needed', { name }), { type: 'warning', fixed: true, id: `plex-auth-sign-in-needed-${accountId}`, buttons });
    notices.set(accountId, notice);
  });
}
