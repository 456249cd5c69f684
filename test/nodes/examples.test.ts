/** Example flows run as a user imports them, in Node-RED with its core nodes, against the stand-in. */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PlexStandIn } from '../../dev/plex-stand-in';
import { ITEMS, PLAYERS, USERS } from '../../dev/stand-in/notifications';
import { helper, startRuntime, stopRuntime } from './harness';
import { allNodes, nextEvent } from '../support';

const core = (file: string) => require(`@node-red/nodes/core/${file}`);
const coreNodes = ['common/20-inject.js', 'common/25-catch.js', 'common/90-comment.js', 'function/10-switch.js', 'function/15-change.js'].map(core);

/** An example with the account pointed at the stand-in, and its debug node `debugId` replaced by a helper node to read. */
function exampleFlow(name: string, standIn: PlexStandIn, debugId: string): Record<string, unknown>[] {
  const nodes = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../examples', `${name}.json`), 'utf8')) as Record<string, unknown>[];
  return nodes.map((node) => {
    if (node.type === 'plex-account') return { ...node, clientIdentifier: 'example-client', plexTvUrl: standIn.url };
    if (node.id === debugId) return { id: node.id, z: node.z, type: 'helper', x: node.x, y: node.y };
    return node;
  });
}

describe('example flows', () => {
  const standIn = new PlexStandIn();
  before(async () => {
    await standIn.start();
    await startRuntime();
  });
  after(async () => {
    await stopRuntime();
    await standIn.stop();
  });
  afterEach(() => helper.unload());

  it('"Tell me when Plex needs a sign-in" says so once a token is refused, and says nothing while plex.tv is only down', async () => {
    const token = standIn.addAccount('watched-user');
    await helper.load([...allNodes, ...coreNodes], exampleFlow('tell-me-when-plex-needs-a-sign-in', standIn, 'resign-send') as any, {
      'plex-example-account': { token },
    });
    const said: any[] = [];
    helper.getNode('resign-send').on('input', (msg: any) => said.push(msg));

    standIn.fail(/^GET \/api\/v2\/resources/, { status: 503, body: 'maintenance', contentType: 'text/plain' });
    // The catch node hands the error to the switch: the flow has decided once the switch has it and passed it on, or not.
    const decided = nextEvent<any>((resolve) => helper.getNode('resign-refused').once('input', resolve), 5000, 'the error at the switch');
    helper.getNode('resign-daily').receive({});
    assert.equal((await decided).error.code, 'PLEX_HTTP');
    for (let tick = 0; tick < 5; tick++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(said, [], 'plex.tv down is no dead token');

    standIn.accountTokens.delete(token);
    const message = nextEvent<any>((resolve) => helper.getNode('resign-send').once('input', resolve), 5000, 'the message');
    helper.getNode('resign-daily').receive({});
    const msg = await message;
    assert.equal(msg.topic, 'Plex sign-in needed');
    assert.match(msg.payload, /needs a new sign-in/);
    assert.equal(msg.error.code, 'PLEX_TOKEN_REJECTED');
    assert.ok(!JSON.stringify(msg).includes(token));
  });

  it('"Lights down when a movie plays" dims for a movie and brings the lights back on pause and stop; an episode changes nothing', async () => {
    const token = standIn.addAccount('movie-watcher');
    const flow = exampleFlow('lights-down-when-a-movie-plays', standIn, 'lights-down-debug').map((node) => {
      // Every debug node, not only the one read: the core debug node is not loaded here.
      if (node.type === 'debug') return { id: node.id, z: node.z, type: 'helper', x: node.x, y: node.y };
      if (node.type === 'plex-server') return { ...node, url: standIn.url };
      return node;
    });
    await helper.load([...allNodes, ...coreNodes], flow as any, { 'plex-example-account': { token } });
    const lights: string[] = [];
    helper.getNode('lights-down-debug').on('input', (msg: any) => lights.push(`${msg.payload.brightness} ${msg.payload.why}`));
    helper.getNode('lights-up-debug').on('input', (msg: any) => lights.push(`${msg.payload.brightness} ${msg.payload.why}`));
    const until = async (count: number) => {
      for (const end = Date.now() + 5000; lights.length < count; await new Promise((resolve) => setTimeout(resolve, 5)))
        assert.ok(Date.now() < end, `${count} light changes: ${lights}`);
    };
    for (const end = Date.now() + 5000; standIn.playback.sockets === 0; await new Promise((resolve) => setTimeout(resolve, 5)))
      assert.ok(Date.now() < end, 'connected');

    const episode = standIn.playback.play({ item: ITEMS.episode, user: USERS.kids, player: PLAYERS.kidsTablet });
    const movie = standIn.playback.play();
    await until(1);
    standIn.playback.pause(movie.sessionKey);
    await until(2);
    standIn.playback.resume(movie.sessionKey);
    standIn.playback.stop(episode.sessionKey);
    standIn.playback.stop(movie.sessionKey);
    await until(4);
    assert.deepEqual(lights, [
      '10 Alex plays Big Buck Bunny on Living Room TV',
      '100 Big Buck Bunny paused on Living Room TV',
      '10 Alex plays Big Buck Bunny on Living Room TV',
      '100 Big Buck Bunny stopped on Living Room TV',
    ]);
  });
});
