import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_XML_DEPTH, parsePlexXml } from '../../src/core/xml';

describe('parsePlexXml', () => {
  it('reads a transient token MediaContainer', () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<MediaContainer size="0" token="transient-abc">\n</MediaContainer>\n';
    assert.deepEqual(parsePlexXml(xml), { MediaContainer: { size: 0, token: 'transient-abc' } });
  });

  it('reads /security/resources: a Device with its Connection list, "1"/"0" booleans, relay left out', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="1">
  <Device name="Living Room" clientIdentifier="abc123" accessToken="tok">
    <Connection protocol="https" address="192.168.1.20" port="32400" uri="https://192-168-1-20.hash.plex.direct:32400" local="1" relay="0"/>
    <Connection protocol="https" address="203.0.113.5" port="32400" uri="https://203-0-113-5.hash.plex.direct:32400" local="0"/>
  </Device>
</MediaContainer>`;
    assert.deepEqual(parsePlexXml(xml), {
      MediaContainer: {
        size: 1,
        Device: {
          name: 'Living Room',
          clientIdentifier: 'abc123',
          accessToken: 'tok',
          Connection: [
            { protocol: 'https', address: '192.168.1.20', port: 32400, uri: 'https://192-168-1-20.hash.plex.direct:32400', local: true, relay: false },
            { protocol: 'https', address: '203.0.113.5', port: 32400, uri: 'https://203-0-113-5.hash.plex.direct:32400', local: false },
          ],
        },
      },
    });
  });

  it('keeps a single Connection in a list, as JSON has it', () => {
    const parsed = parsePlexXml('<MediaContainer size="1"><Device name="d"><Connection uri="http://a:1" local="1"/></Device></MediaContainer>');
    assert.deepEqual((parsed as any).MediaContainer.Device.Connection, [{ uri: 'http://a:1', local: true }]);
  });

  it('reads a plex.tv pin element into the pin fields', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<pin id="1234567" code="ABCD" product="Node-RED" trusted="0" clientIdentifier="c1" expiresIn="900" createdAt="2026-11-22T10:00:00Z" expiresAt="2026-11-22T10:15:00Z" authToken="">
  <location code="NL" european_union_member="1" city="Breda"/>
</pin>`;
    assert.deepEqual(parsePlexXml(xml), {
      id: 1234567,
      code: 'ABCD',
      product: 'Node-RED',
      trusted: false,
      clientIdentifier: 'c1',
      expiresIn: 900,
      createdAt: '2026-11-22T10:00:00Z',
      expiresAt: '2026-11-22T10:15:00Z',
      authToken: null,
      location: { code: 'NL', european_union_member: true, city: 'Breda' },
    });
    assert.equal((parsePlexXml('<pin id="5" code="WXYZ" authToken="tok-1"/>') as any).authToken, 'tok-1');
  });

  it('decodes entities in attribute values, once', () => {
    const parsed = parsePlexXml(`<MediaContainer token="a&amp;b&lt;c&gt;d&quot;e&apos;f&#65;&#x42;&amp;lt;" name='single "quoted"'/>`) as any;
    assert.equal(parsed.MediaContainer.token, `a&b<c>d"e'fAB&lt;`);
    assert.equal(parsed.MediaContainer.name, 'single "quoted"');
  });

  it('leaves an entity alone that names no character', () => {
    const parsed = parsePlexXml('<MediaContainer token="x&#99999999;y&#xFFFFFFF;z&nbsp;"/>') as any;
    assert.equal(parsed.MediaContainer.token, 'x&#99999999;y&#xFFFFFFF;z&nbsp;');
  });

  it('skips the prolog, a doctype and comments, even comments holding elements', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE MediaContainer>
<!-- <MediaContainer token="from-a-comment"/> -->
<MediaContainer size="0" token="real"><!-- a note --></MediaContainer>`;
    assert.deepEqual(parsePlexXml(xml), { MediaContainer: { size: 0, token: 'real' } });
  });

  it('keeps ">" inside a quoted value and reads attributes across lines', () => {
    const parsed = parsePlexXml('<MediaContainer\n  size="0"\n  token="a>b"\n/>') as any;
    assert.deepEqual(parsed, { MediaContainer: { size: 0, token: 'a>b' } });
  });

  it('reads plex.tv XML errors as the JSON errors shape', () => {
    const parsed = parsePlexXml('<errors><error code="1020" message="Code not found or expired" status="404"/></errors>');
    assert.deepEqual(parsed, { error: [{ code: '1020', message: 'Code not found or expired', status: '404' }] });
  });

  it('leaves numbers that are not whole as text, so the schema catches them', () => {
    const parsed = parsePlexXml('<MediaContainer size="many" offset="1.5"/>') as any;
    assert.deepEqual(parsed.MediaContainer, { size: 'many', offset: '1.5' });
  });

  it('answers undefined for text that holds no element', () => {
    for (const junk of ['', 'not xml at all', '{"json":true}', '<!-- only a comment -->', '<?xml version="1.0"?>', '< notatag >', '</MediaContainer>']) {
      assert.equal(parsePlexXml(junk), undefined, junk);
    }
  });

  it('does not throw on broken markup', () => {
    for (const junk of [
      '<MediaContainer token="unterminated',
      '<MediaContainer><Device><Connection uri="x"',
      '<a><b></a></b><c/>',
      '<<<>>>',
      '<MediaContainer token=noquotes/>',
    ]) {
      assert.doesNotThrow(() => parsePlexXml(junk), junk);
    }
    assert.deepEqual(parsePlexXml('<MediaContainer><Device name="d"><Connection uri="x"/>'), {
      MediaContainer: { Device: { name: 'd', Connection: [{ uri: 'x' }] } },
    });
  });

  it(`reads ${MAX_XML_DEPTH} levels and refuses one more, with a reason and without overflowing the stack`, () => {
    const nested = (levels: number) => '<a>'.repeat(levels) + '</a>'.repeat(levels);
    let innermost = parsePlexXml(nested(MAX_XML_DEPTH)) as any;
    for (let level = 1; level < MAX_XML_DEPTH; level++) innermost = innermost.a;
    assert.deepEqual(innermost, {});
    assert.throws(() => parsePlexXml(nested(MAX_XML_DEPTH + 1)), { message: 'nested deeper than 32 levels' });
    assert.throws(() => parsePlexXml(`<MediaContainer>${'<Device>'.repeat(100_000)}`), { message: 'nested deeper than 32 levels' });
  });

  it('stops at the end of the root element', () => {
    assert.deepEqual(parsePlexXml(`<MediaContainer size="0"/>${'<a>'.repeat(100)}`), { MediaContainer: { size: 0 } });
  });

  it('keeps element and attribute names such as __proto__ and constructor as plain own data', () => {
    const parsed = parsePlexXml('<MediaContainer toString="s"><constructor a="1"/><__proto__ b="2"/><__proto__ b="3"/></MediaContainer>') as any;
    const container = parsed.MediaContainer;
    assert.equal(Object.getPrototypeOf(container), Object.prototype);
    assert.deepEqual(Object.keys(container), ['toString', 'constructor', '__proto__']);
    assert.deepEqual(Object.getOwnPropertyDescriptor(container, '__proto__')!.value, [{ b: '2' }, { b: '3' }]);
    assert.deepEqual(container.constructor, { a: '1' });
    assert.equal(container.toString, 's');
    const pin = parsePlexXml('<pin __proto__="p" id="1"/>') as any;
    assert.equal(Object.getPrototypeOf(pin), Object.prototype);
    assert.deepEqual(Object.entries(pin), [
      ['__proto__', 'p'],
      ['id', 1],
    ]);
  });

  it('reads a megabyte of hostile markup in linear time', () => {
    for (const junk of ['<!--', '<?', '<!DOCTYPE', '<a x="', '<title', '<a\u00a0']) {
      // CPU time, not the clock on the wall: other test files share the machine.
      const started = process.cpuUsage();
      parsePlexXml(`<?xml version="1.0"?>${junk.repeat(Math.floor(1_000_000 / junk.length))}`);
      const { user, system } = process.cpuUsage(started);
      const ms = (user + system) / 1000;
      assert.ok(ms < 500, `${junk}: ${ms.toFixed(0)} ms of CPU`);
    }
  });
});
