/**
 * The sign-in part of the plex-account dialog: Sign in with Plex (the runtime makes and polls
 * the PINs and keeps the token; the dialog shows the link, the QR code and the 4-character code,
 * each with its own expiry), Check, Sign out (after a confirmation), and the Plex JWT beside the
 * standard token: Move to JWT / Try again / Back to Standard.
 */
import { formatMoment, formatTimeLeft } from '../../../src/shared/time';
import { adminRoutes, type AccountState, type SignInBody, type SignInStarted } from '../../admin/contract';
import { callAdmin, DialogCalls, type AdminRefusal } from '../lib/admin';
import { _ } from './texts';

/** How often the dialog asks the runtime whether the PIN was approved, or the Plex JWT set up. */
const POLL_MS = 2000;

type Look = 'ok' | 'error' | '';

function moment(iso: string): string {
  return formatMoment(iso, RED.i18n.lang(), Date.now());
}

function inputValue(field: string): string {
  return String($(`#node-config-input-${field}`).val() ?? '');
}

export class SignInPanel {
  /** The runtime's token changed (sign-in, sign-out, move): Deploy must save that with the flows. */
  tokenChanged = false;
  /** The sign-in under way: the strong PIN the dialog follows, and what the runtime started. */
  private signIn: SignInStarted | null = null;
  private pollTimer?: number;
  private tickTimer?: number;
  private stateTimer?: number;
  /**
   * Counts the sign-ins started and ended (Cancel, or the dialog closing during one): a PIN
   * plex.tv gives after its sign-in ended is ended in the runtime, not shown.
   */
  private attempt = 0;
  /** plex.tv is being asked for the PINs of a sign-in: Cancel ends it before it shows. */
  private askingForPin = false;
  private readonly calls = new DialogCalls();

  constructor(private readonly accountId: string) {}

  /** The dialog closes: the sign-in under way ends, its timers stop, late answers are dropped. */
  close(): void {
    this.cancel();
    this.stop();
    this.calls.close();
  }

  /** Shows the state the editor knows (a token was deployed), then asks the runtime for the state of now. */
  load(hasToken: boolean): void {
    this.showSignedIn(hasToken);
    this.refreshState();
  }

  start(): void {
    const attempt = ++this.attempt;
    this.askingForPin = true;
    this.busy(true);
    $('#plex-account-signin-deploy').hide();
    this.show(_('signin.requesting'), '', true);
    callAdmin(adminRoutes.startSignIn, { id: this.accountId }, this.signInBody()).then(
      (started) => {
        if (attempt !== this.attempt) return this.endInRuntime(started.pinId);
        this.askingForPin = false;
        this.signIn = started;
        $('#plex-account-signin-link').attr('href', started.authUrl);
        // No QR code when the sign-in link is too long for one: the link and the code remain.
        $('#plex-account-signin-qr')
          .attr('src', started.qrSvg ?? '')
          .toggle(Boolean(started.qrSvg));
        $('#plex-account-signin-scan').toggle(Boolean(started.qrSvg));
        if (started.code && started.linkUrl) {
          $('#plex-account-signin-code-text').text(_('signin.code', { url: started.linkUrl.replace(/^https:\/\//, '') }));
          $('#plex-account-signin-code').text(started.code);
        }
        $('#plex-account-signin-codebox').toggle(Boolean(started.code));
        $('#plex-account-signin-nocode').toggle(!started.code);
        $('#plex-account-signin-pin').show();
        this.show(_('signin.waiting'));
        this.tick();
        this.tickTimer = window.setInterval(() => this.tick(), 1000);
        this.pollTimer = window.setTimeout(() => this.poll(), POLL_MS);
      },
      (refusal: AdminRefusal) => {
        if (attempt !== this.attempt) return;
        this.askingForPin = false;
        this.finish(this.failure(refusal), 'error');
      },
    );
  }

  /** Ends the sign-in under way (or the one plex.tv is still asked for), in the dialog and in the runtime. */
  cancel(text?: string): void {
    if (!this.calls.isOpen) return;
    if (!this.signIn && !this.askingForPin) return;
    this.attempt++;
    this.askingForPin = false;
    const pinId = this.signIn?.pinId;
    this.finish(text ?? _('signin.cancelled'), text ? 'error' : '');
    if (pinId !== undefined) this.endInRuntime(pinId);
  }

  private endInRuntime(pinId: SignInStarted['pinId']): void {
    callAdmin(adminRoutes.cancelSignIn, { id: this.accountId, pinId }).catch(() => undefined /* ended in the runtime already */);
  }

  check(): void {
    this.show(_('signin.checking'), '', true);
    this.calls.ask(
      callAdmin(adminRoutes.checkToken, { id: this.accountId }),
      (answer) => {
        if (answer.state === 'valid') this.show(_('signin.valid', { username: answer.username }), 'ok');
        else if (answer.state === 'revoked') this.show(_('signin.revoked'), 'error');
        else if (answer.state === 'unreachable') this.show(_('signin.unreachable', { message: answer.message }), 'error');
        else this.showSignedIn(false);
        this.refreshState({ keepStatus: true }); // the check's own words stay; the last-check line follows
      },
      (refusal: AdminRefusal) => this.show(this.failure(refusal), 'error'),
    );
  }

  /** Sets up the Plex JWT now (Move to JWT, Try again): the standard token keeps working, so nothing to confirm. */
  moveToJwt(): void {
    this.show(_('signin.moving'), '', true);
    this.calls.ask(
      callAdmin(adminRoutes.moveToJwt, { id: this.accountId }, { jwtClientIdentifier: inputValue('jwtClientIdentifier') || undefined }),
      (state) => {
        this.show(_('signin.moved'), 'ok'); // which says to Deploy: the hint below would say it twice
        $('#plex-account-signin-deploy').hide();
        $('#node-config-input-auth').val('jwt');
        this.showKeyDevice(state);
        this.markChanged();
      },
      (refusal: AdminRefusal) => {
        this.show(this.failure(refusal), 'error');
        this.refreshState({ keepStatus: true });
      },
    );
  }

  /** Back to Standard: forgets the Plex JWT; the standard token goes on. */
  backToStandard(): void {
    this.calls.ask(
      callAdmin(adminRoutes.backToStandard, { id: this.accountId }),
      (state) => {
        this.show(_('signin.backed'), 'ok');
        $('#node-config-input-auth').val('token');
        this.showKeyDevice(state);
        this.markChanged();
      },
      (refusal: AdminRefusal) => this.show(this.failure(refusal), 'error'),
    );
  }

  /** Links the code a TV or app shows, as this account (what plex.tv/link does), with the token the runtime holds. */
  linkCode(): void {
    const code = String($('#plex-account-link-code').val() ?? '').trim();
    const $status = $('#plex-account-link-status').removeClass('plex-ok plex-error');
    if (!code) return void $status.text(_('link.empty')).addClass('plex-error');
    $status.text(_('link.linking'));
    this.calls.ask(
      callAdmin(adminRoutes.linkCode, { id: this.accountId }, { code }),
      (linked) => {
        $status.text(_('link.linked', { code: linked.code })).addClass('plex-ok');
        $('#plex-account-link-code').val('');
      },
      (refusal: AdminRefusal) => $status.text(_('link.failed', { message: refusal.message ?? _('signin.no-answer') })).addClass('plex-error'),
    );
  }

  /** Sign out asks first: the token cannot be had back without a new sign-in. */
  askSignOut(asking: boolean): void {
    $('#plex-account-signout-confirm').toggle(asking);
    $('#plex-account-signout').prop('disabled', asking);
  }

  signOut(): void {
    this.askSignOut(false);
    this.calls.ask(
      callAdmin(adminRoutes.signOut, { id: this.accountId }),
      (state) => {
        this.showSignedIn(false);
        this.show(_('signin.forgotten'));
        this.showLastCheck(null);
        this.showKeyDevice(state);
        this.markChanged();
      },
      (refusal: AdminRefusal) => this.show(this.failure(refusal), 'error'),
    );
  }

  private signInBody(): SignInBody {
    return {
      clientIdentifier: inputValue('clientIdentifier'),
      product: inputValue('product'),
      deviceName: inputValue('deviceName'),
      plexTvUrl: inputValue('plexTvUrl'),
    };
  }

  private poll(): void {
    const pinId = this.signIn?.pinId;
    if (pinId === undefined) return;
    const current = () => this.signIn?.pinId === pinId;
    this.calls.ask(
      callAdmin(adminRoutes.signInProgress, { id: this.accountId, pinId }),
      (progress) => {
        if (!current()) return;
        switch (progress.state) {
          case 'waiting':
            this.pollTimer = window.setTimeout(() => this.poll(), POLL_MS);
            return;
          case 'approved':
            this.finish(progress.username ? _('signin.signed-in-as', { username: progress.username }) : (progress.message ?? _('signin.signed-in')), 'ok');
            $('#plex-account-signin-deploy').show();
            $('#plex-account-signout, #plex-account-check, #plex-account-link').show();
            this.showLastCheck(null);
            this.markChanged();
            this.refreshState({ keepStatus: true });
            return;
          case 'failed':
            return this.finish(_('signin.failed', { message: progress.message ?? '' }), 'error');
          case 'expired':
            return this.finish(_('signin.expired'), 'error');
          case 'cancelled':
            return this.finish(_('signin.cancelled'), '');
        }
      },
      (refusal: AdminRefusal) => {
        if (current()) this.finish(this.failure(refusal), 'error');
      },
    );
  }

  /** Each way to approve counts down to its own PIN's expiry; the sign-in ends when both have expired. */
  private tick(): void {
    if (!this.signIn) return;
    const now = Date.now();
    const linkLeft = Date.parse(this.signIn.expiresAt) - now;
    const codeLeft = this.signIn.linkExpiresAt ? Date.parse(this.signIn.linkExpiresAt) - now : 0;
    this.showWay('link', linkLeft);
    if (this.signIn.code) this.showWay('code', codeLeft);
    if (linkLeft <= 0 && codeLeft <= 0) this.cancel(_('signin.expired'));
  }

  private showWay(way: 'link' | 'code', msLeft: number): void {
    const open = msLeft > 0;
    $(`#plex-account-signin-${way}-way`).toggle(open);
    $(`#plex-account-signin-${way}-countdown`).text(open ? _(`signin.${way}-expires`, { time: formatTimeLeft(msLeft) }) : _(`signin.${way}-expired`));
  }

  /** Stops the dialog's timers: the sign-in ended, or the dialog closes. */
  stop(): void {
    window.clearTimeout(this.pollTimer);
    window.clearInterval(this.tickTimer);
    window.clearTimeout(this.stateTimer);
    this.pollTimer = this.tickTimer = this.stateTimer = undefined;
  }

  private finish(text: string, look: Look): void {
    this.stop();
    this.signIn = null;
    $('#plex-account-signin-pin').hide();
    this.busy(false);
    this.show(text, look);
  }

  private show(text: string, look: Look = '', working = false): void {
    const $status = $('#plex-account-signin-status')
      .removeClass('plex-ok plex-error')
      .addClass(look ? `plex-${look}` : '')
      .empty();
    if (working) $('<i class="fa fa-spinner fa-spin plex-account-signin-spinner" aria-hidden="true"></i>').appendTo($status);
    $('<span>').text(text).appendTo($status);
  }

  private busy(on: boolean): void {
    $('#plex-account-signin').prop('disabled', on);
    $('#plex-account-signin-cancel').toggle(on);
  }

  private failure(refusal: AdminRefusal): string {
    return _('signin.error', { message: refusal.message ?? _('signin.no-answer') });
  }

  /** Deploy saves the runtime's token with the flows only for a node the editor counts as changed. */
  private markChanged(): void {
    this.tokenChanged = true;
    const deployed = RED.nodes.node(this.accountId);
    if (!deployed) return; // a new node: adding it with Update is a change already
    deployed.changed = true;
    deployed.dirty = true;
    RED.nodes.dirty(true);
  }

  private showSignedIn(signedIn: boolean, signInNeeded = false): void {
    $('#plex-account-signout, #plex-account-check, #plex-account-link').toggle(signedIn);
    if (!signedIn) this.askSignOut(false);
    if (this.signIn) return;
    if (signInNeeded) this.show(_('signin.sign-in-needed'), 'error');
    else this.show(signedIn ? _('signin.signed-in') : _('signin.signed-out'), signedIn ? 'ok' : '');
  }

  /**
   * The token the account holds beside the standard one: the Plex JWT for plex.tv and until when,
   * being set up, or why it could not be; the button that fits. The key device's client
   * identifier goes into the node, so that Deploy keeps it.
   */
  private showKeyDevice(state: AccountState | null): void {
    const device = state?.signedIn ? state.keyDevice : null;
    let text = '';
    if (state?.legacyJwt) text = _('signin.legacy-jwt');
    else if (device?.state === 'ready' && device.expiresAt) text = _('signin.kind-jwt', { time: moment(device.expiresAt) });
    else if (device?.state === 'setting-up') text = _('signin.kind-setting-up');
    else if (device?.state === 'failed') text = _('signin.kind-failed', { message: device.error ?? '', time: device.retryAt ? moment(device.retryAt) : '' });
    else if (device) text = _('signin.kind-classic');
    $('#plex-account-token-kind').text(text);
    $('#plex-account-move-jwt').toggle(device?.state === 'none');
    $('#plex-account-retry-jwt').toggle(device?.state === 'failed');
    $('#plex-account-back-standard').toggle(device?.state === 'ready' || device?.state === 'failed');
    if (device?.clientIdentifier && inputValue('jwtClientIdentifier') !== device.clientIdentifier)
      $('#node-config-input-jwtClientIdentifier').val(device.clientIdentifier);
    // The runtime sets it up in a few seconds after a sign-in: look again until it is there or failed.
    window.clearTimeout(this.stateTimer);
    if (device?.state === 'setting-up') this.stateTimer = window.setTimeout(() => this.refreshState({ keepStatus: true }), POLL_MS);
  }

  private showLastCheck(lastCheck: AccountState['lastCheck']): void {
    $('#plex-account-last-check').text(lastCheck ? _('signin.last-check', { time: moment(lastCheck.at), result: _(`signin.result-${lastCheck.state}`) }) : '');
  }

  /** What the runtime knows now: signed in, the token refused ("sign-in needed"), its kind, the last check. */
  private refreshState({ keepStatus = false } = {}): void {
    this.calls.ask(
      callAdmin(adminRoutes.accountState, { id: this.accountId }),
      (state) => {
        if (!keepStatus) this.showSignedIn(state.signedIn, state.signInNeeded);
        this.showKeyDevice(state);
        this.showLastCheck(state.lastCheck);
        if (state.signInNeeded && !this.signIn) $('#plex-account-signin').trigger('focus');
      },
      () => undefined /* keep what the editor knows */,
    );
  }
}
