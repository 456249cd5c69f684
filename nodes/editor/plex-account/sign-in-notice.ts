/**
 * When plex.tv or a server refuses an account's token, every open editor shows one notice
 * (as Home Assistant asks for a re-authentication) with a button that opens the account's
 * dialog; it goes away when the runtime says the sign-in is no longer needed.
 */
import { SIGN_IN_NEEDED_TOPICS, accountOfSignInNeededTopic, type SignInNeeded } from '../../admin/contract';
import { _ } from './texts';

const notices = new Map<string, EditorNotification>();

export function offerSignInWhenNeeded(): void {
  RED.comms.subscribe(SIGN_IN_NEEDED_TOPICS, (topic: string, said: SignInNeeded) => {
    const accountId = accountOfSignInNeededTopic(topic);
    notices.get(accountId)?.close();
    notices.delete(accountId);
    if (!said.signInNeeded) return;
    const account = RED.nodes.node(accountId);
    const name = account ? RED.utils.getNodeLabel(account) : said.name || accountId;
    const buttons: EditorNotifyButton[] = [{ text: _('notify.later'), click: () => notice.close() }];
    // The account may be gone from this editor (deleted, not yet deployed): then there is no dialog to open.
    if (account) buttons.push({ text: _('notify.open'), class: 'primary', click: () => {
      notice.close();
      RED.editor.editConfig('', 'plex-account', accountId);
    } });
    const notice = RED.notify(_('notify.sign-in-needed', { name }), { type: 'warning', fixed: true, id: `plex-auth-sign-in-needed-${accountId}`, buttons });
    notices.set(accountId, notice);
  });
}
