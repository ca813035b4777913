/**
 * IpvsClient over fake sockets: a small in-memory IPVS answers the request socket and the dump socket
 * as ip_vs_ctl.c does, so apply() results, messages, request counts and dumps are checked without a
 * kernel (the VM lab runs the same client against a real one).
 */
import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { IpvsClient, IpvsRequestError } from '../../../src/ipvs/client.js';
import { diffTables } from '../../../src/ipvs/diff.js';
import { destKey, FWD, serviceKey, SVC_F, type IpvsDest, type IpvsOp, type IpvsService, type IpvsTable } from '../../../src/ipvs/types.js';
import { FAMILY, FakeIpvsKernel, FakeSocket, ManualClock } from './fake-netlink.js';

const svc = (n: number, extra: Partial<IpvsService> = {}): IpvsService =>
  ({ af: 'inet', protocol: 'tcp', address: `192.0.2.${n}`, port: 80, scheduler: 'wrr', flags: 0, timeoutS: 0, netmask: 0xffffffff, ...extra }) as IpvsService;
const dest = (n: number, extra: Partial<IpvsDest> = {}): IpvsDest => ({
  af: 'inet',
  address: `198.51.100.${n}`,
  port: 80,
  fwd: FWD.MASQ,
  weight: 1,
  uThreshold: 0,
  lThreshold: 0,
  tunType: 0,
  tunPort: 0,
  tunFlags: 0,
  ...extra,
});

function table(entries: Array<[IpvsService, IpvsDest[]]>): IpvsTable {
  return new Map(entries.map(([s, ds]) => [serviceKey(s), { service: s, dests: new Map(ds.map((d) => [destKey(d), d])) }]));
}

function setup(opts: { window?: number; timeoutMs?: number; ack?: 'each' | 'batch' } = {}) {
  const reqSock = new FakeSocket();
  const dumpSock = new FakeSocket();
  const kernel = new FakeIpvsKernel(reqSock);
  const dumpKernel = new FakeIpvsKernel(dumpSock);
  // One table behind both sockets, as in the kernel.
  Object.defineProperty(dumpKernel, 'services', { value: kernel.services });
  const clock = new ManualClock();
  const client = new IpvsClient(FAMILY, reqSock, dumpSock, { clock, ...opts });
  return { client, kernel, reqSock, dumpSock, clock };
}

describe.skipIf(endianness() !== 'LE')('IpvsClient.apply', () => {
  const desired = table([
    [svc(1), [dest(11), dest(12, { weight: 3 })]],
    [
      svc(2, { af: 'inet6', address: '2001:db8::2', scheduler: 'sh', flags: SVC_F.SCHED1, netmask: 128 }),
      [dest(13, { fwd: FWD.TUNNEL, tunType: 1, tunPort: 6080 })],
    ],
    [{ af: 'inet', fwmark: 5, scheduler: 'rr', flags: SVC_F.PERSISTENT, timeoutS: 300, netmask: 0xffffff00 }, [dest(14, { port: 0, fwd: FWD.DROUTE })]],
  ]);

  it('programs a table in order, one request per op, and reads it back the same', async () => {
    const { client, reqSock, dumpSock } = setup();
    const ops = diffTables(desired, new Map(), { owned: new Set(), flush: false });
    const results = await client.apply(ops);
    expect(results.map((r) => [r.ok, r.already, r.errno])).toEqual(ops.map(() => [true, undefined, undefined]));
    expect(results[0]!.message).toBe('added virtual server TCP 192.0.2.1:80');
    expect(results[1]!.message).toBe('added real server 198.51.100.11:80 of virtual server TCP 192.0.2.1:80');
    expect(client.requestsSent).toBe(ops.length);
    expect(reqSock.requests.map((r) => r.cmd)).toEqual(ops.map((o) => ({ 'new-service': 1, 'new-dest': 5 })[o.op as 'new-service' | 'new-dest']));
    expect(await client.dumpTable()).toEqual(desired);
    expect(dumpSock.requests.map((r) => r.cmd)).toEqual([4, 8, 8, 8]); // dumps on their own socket
    expect(reqSock.requests).toHaveLength(ops.length);
  });

  it('a one-weight reload sends exactly one request', async () => {
    const { client } = setup();
    await client.apply(diffTables(desired, new Map(), { owned: new Set(), flush: false }));
    const changed = table(
      [...desired.values()].map((e) => [e.service, [...e.dests.values()].map((d) => (d.address === '198.51.100.12' ? { ...d, weight: 7 } : d))]),
    );
    const before = client.requestsSent;
    const ops = diffTables(changed, desired, { owned: new Set(desired.keys()), flush: false });
    const [r] = await client.apply(ops);
    expect(client.requestsSent - before).toBe(1);
    expect(r).toMatchObject({ ok: true, message: 'updated real server 198.51.100.12:80 of virtual server TCP 192.0.2.1:80' });
    expect((await client.dumpTable()).get(serviceKey(svc(1)))?.dests.get(destKey(dest(12)))?.weight).toBe(7);
  });

  it('adding what exists and removing what is gone are ok, flagged `already`', async () => {
    const { client } = setup();
    const ops: IpvsOp[] = [
      { op: 'new-service', service: svc(1) },
      { op: 'new-service', service: svc(1) },
      { op: 'new-dest', service: svc(1), dest: dest(11) },
      { op: 'new-dest', service: svc(1), dest: dest(11) },
      { op: 'del-dest', service: svc(1), dest: dest(99) },
      { op: 'del-dest', service: svc(9), dest: dest(11) },
      { op: 'del-service', service: svc(9) },
    ];
    const r = await client.apply(ops);
    expect(r.map((x) => [x.ok, x.already ?? false, x.errno])).toEqual([
      [true, false, undefined],
      [true, true, 'EEXIST'],
      [true, false, undefined],
      [true, true, 'EEXIST'],
      [true, true, 'ENOENT'],
      [true, true, 'ESRCH'],
      [true, true, 'ESRCH'],
    ]);
    expect(r[1]!.message).toBe('virtual server TCP 192.0.2.1:80 already exists');
    expect(r[6]!.message).toBe('virtual server TCP 192.0.2.9:80 was already gone');
  });

  it('failures name the entry and say why; a destination of a service that failed says so', async () => {
    const { client } = setup();
    const bad = svc(3, { scheduler: 'foo' });
    const r = await client.apply([
      { op: 'new-service', service: bad },
      { op: 'new-dest', service: bad, dest: dest(11) },
      { op: 'set-dest', service: svc(4), dest: dest(11) },
      { op: 'new-dest', service: svc(3), dest: { ...dest(12), address: '2001:db8::12' } }, // inet with an IPv6 address
      { op: 'new-service', service: svc(5) },
    ]);
    expect(r.map((x) => [x.ok, x.errno])).toEqual([
      [false, 'ENOENT'],
      [false, 'ESRCH'],
      [false, 'ESRCH'],
      [false, 'EINVAL'],
      [true, undefined],
    ]);
    expect(r[0]!.message).toBe("adding virtual server TCP 192.0.2.3:80 failed: ENOENT: unknown scheduler 'foo' (kernel module ip_vs_foo not loaded?)");
    expect(r[1]!.message).toBe(
      'adding real server 198.51.100.11:80 of virtual server TCP 192.0.2.3:80 failed: ESRCH: the virtual server does not exist (adding it failed: ENOENT)',
    );
    expect(r[2]!.message).toBe('updating real server 198.51.100.11:80 of virtual server TCP 192.0.2.4:80 failed: ESRCH: the virtual server does not exist');
    expect(r[3]!.message).toBe('adding real server 2001:db8::12:80 of virtual server TCP 192.0.2.3:80 failed: not sent: 2001:db8::12 is not an inet address');
  });

  it('by default one ack per sendmsg(): every error still belongs to the op that failed', async () => {
    const { client, reqSock } = setup();
    const r = await client.apply([
      { op: 'new-service', service: svc(1) },
      { op: 'new-dest', service: svc(1), dest: dest(11) },
      { op: 'new-dest', service: svc(2), dest: dest(11) },
      { op: 'new-dest', service: svc(1), dest: dest(12) },
    ]);
    expect(r.map((x) => x.errno)).toEqual([undefined, undefined, 'ESRCH', undefined]);
    expect(reqSock.requests.map((q) => q.flags & 4)).toEqual([0, 0, 0, 4]);
  });

  it("ack 'each': every op asks for its own ack, same results", async () => {
    const { client, reqSock } = setup({ ack: 'each' });
    const r = await client.apply([
      { op: 'new-service', service: svc(1) },
      { op: 'new-dest', service: svc(2), dest: dest(11) },
      { op: 'new-dest', service: svc(1), dest: dest(12) },
    ]);
    expect(r.map((x) => x.errno)).toEqual([undefined, 'ESRCH', undefined]);
    expect(reqSock.requests.map((q) => q.flags & 4)).toEqual([4, 4, 4]);
  });

  it('a kernel that stops answering: every op fails with ETIMEDOUT after the deadline', async () => {
    const { client, kernel, clock } = setup({ timeoutMs: 500, window: 2 });
    kernel.answering = false;
    const p = client.apply([1, 2, 3].map((n) => ({ op: 'new-service' as const, service: svc(n) })));
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    const r = await p;
    expect(r.map((x) => x.errno)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(r[0]!.message).toBe('adding virtual server TCP 192.0.2.1:80 failed: ETIMEDOUT: no answer from the kernel in time');
  });
});

describe.skipIf(endianness() !== 'LE')('IpvsClient queries', () => {
  it('getInfo, getService, flush; a refused query throws IpvsRequestError with the errno', async () => {
    const { client, kernel } = setup();
    expect(await client.getInfo()).toEqual({ version: 0x010201, connTableSize: 4096 });
    await client.apply([{ op: 'new-service', service: svc(1) }]);
    expect((await client.getService(svc(1)))?.service).toEqual(svc(1));
    expect(await client.getService(svc(2))).toBeUndefined();
    await client.flush();
    expect(kernel.services.size).toBe(0);
    const err = await client.getTimeouts().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IpvsRequestError);
    expect(err).toMatchObject({
      code: 'IPVS_REQUEST_FAILED',
      errno: 'EINVAL',
      cmd: 'IPVS_CMD_GET_CONFIG',
      message: 'reading IPVS timeouts failed: EINVAL (IPVS_CMD_GET_CONFIG)',
    });
  });

  it('close() closes both sockets; later calls fail with EBADF', async () => {
    const { client, reqSock, dumpSock } = setup();
    client.close();
    expect([reqSock.closed, dumpSock.closed]).toEqual([true, true]);
    expect((await client.apply([{ op: 'new-service', service: svc(1) }]))[0]!.errno).toBe('EBADF');
    await expect(client.dumpTable()).rejects.toMatchObject({ errno: 'EBADF' });
  });
});
