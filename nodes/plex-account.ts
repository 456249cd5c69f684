import type { NodeAPI } from 'node-red';
import { PlexAccount, type PlexError } from '../src/core';
import { t } from './lib/i18n';
import { NodeRedAccountStore } from './lib/account-store';
import { accountSettingsOf } from './lib/account-settings';
import { runtimeState } from './lib/runtime-state';
import { registerAccountRoutes } from './admin/account-routes';
import type { PlexAccountConfig, PlexAccountNode } from './lib/types';
import { signInNeededTopic, type SignInNeeded } from './admin/contract';

export = function (RED: NodeAPI): void {
  function PlexAccountConfigNode(this: PlexAccountNode, config: PlexAccountConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    if (!(config.clientIdentifier ?? '').trim()) node.warn(t(RED, 'warn.no-client-identifier'));
    const settings = accountSettingsOf(config, node.id);
    const store = new NodeRedAccountStore(RED, node.id, node.credentials, settings.keyDeviceIdentifier);
    try {
      node.account = new PlexAccount({ ...settings, storage: store, warn: (text) => node.warn(text) });
    } catch (error) {
      node.configError = error as PlexError;
      node.error(t(RED, 'error.account-config', { message: node.configError.message }));
    }
    // Every open editor hears when the account needs a new sign-in (kept for editors opened later), with a button to its dialog.
    const publish = (signInNeeded: boolean) => {
      const said: SignInNeeded = { name: config.name || '', signInNeeded };
      RED.comms.publish(signInNeededTopic(node.id), said, signInNeeded);
    };
    node.account?.health.onChange(publish);
    node.account?.ready.then(
      () => node.account?.health.signInNeeded && publish(true),
      () => undefined,
    );

    node.on('close', (removed: boolean, done: () => void) => {
      if (node.account?.health.signInNeeded) publish(false); // a new node of this id says its own
      node.account?.close();
      if (removed) store.forget();
      runtimeState(RED).flush();
      done();
    });
  }

  RED.nodes.registerType('plex-account', PlexAccountConfigNode as never, {
    credentials: { token: { type: 'password' }, jwt: { type: 'password' }, privateKey: { type: 'password' } },
  });
  registerAccountRoutes(RED);
};
