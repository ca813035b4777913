/** The pipelined requester against a fake socket and a manual clock: framing, window, answers, deadlines, errors. */
import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { osErrnoName } from '../../../src/ipvs/explain.js';
import { Requester, type Answer } from '../../../src/ipvs/requester.js';
import { dataMsg, doneMsg, errorMsg, FAMILY, FakeSocket, ManualClock } from './fake-netlink.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

function setup(opts: { window?: number; timeoutMs?: number } = {}) {
  const sock = new FakeSocket();
  const clock = new ManualClock();
  const rq = new Requester(sock, { familyId: FAMILY, version: 1, errnoName: osErrnoName, clock, ...opts });
  return { sock, clock, rq };
}

/** Records answers as they come, by index. */
function track(ps: Promise<Answer>[]) {
  const got: Array<Answer | undefined> = ps.map(() => undefined);
  ps.forEach((p, i) => {
    p.then((a) => (got[i] = a));
  });
  return got;
}

describe.skipIf(endianness() !== 'LE')('Requester: what goes on the wire', () => {
  it('one request: nlmsghdr {len, family, REQUEST|ACK, seq 1, port 0}, genlmsghdr {cmd, version 1}, the attributes', async () => {
    const { sock, rq } = setup();
    const p = rq.request(5, Buffer.from('08000100aabbccdd', 'hex'));
    await tick();
    expect(sock.sends).toHaveLength(1);
    expect(Buffer.concat(sock.sends[0]!).toString('hex')).toBe('1c000000' + '1d00' + '0500' + '01000000' + '00000000' + '05010000' + '08000100aabbccdd');
    sock.deliver(errorMsg(1));
    expect(await p).toEqual({ errno: 0, replies: [] });
    expect(rq.sent).toBe(1);
  });

  it('a dump carries NLM_F_DUMP; its replies are collected across datagrams until NLMSG_DONE', async () => {
    const { sock, rq } = setup();
    const p = rq.request(4, Buffer.alloc(0), { dump: true });
    await tick();
    expect(sock.requests[0]!.flags).toBe(0x305);
    sock.deliver(dataMsg(1, 1, Buffer.from('04000100', 'hex'), 2), dataMsg(1, 1, Buffer.from('04000200', 'hex'), 2));
    sock.deliver(dataMsg(99, 1, Buffer.from('04000900', 'hex'), 2)); // someone else's sequence number: ignored
    sock.deliver(dataMsg(1, 1, Buffer.from('04000300', 'hex'), 2), doneMsg(1));
    expect((await p).replies.map((b) => b.toString('hex'))).toEqual(['04000100', '04000200', '04000300']);
  });

  it('a request with a reply gets the reply then its ack; errors come back as errno names', async () => {
    const { sock, rq } = setup();
    const a = rq.request(15, Buffer.alloc(0));
    const b = rq.request(1, Buffer.alloc(0));
    const c = rq.request(1, Buffer.alloc(0));
    await tick();
    sock.deliver(dataMsg(1, 14, Buffer.from('0800010001020100', 'hex')));
    sock.deliver(errorMsg(1));
    sock.deliver(errorMsg(2, 17));
    sock.deliver(errorMsg(3, 2));
    expect((await a).replies[0]!.toString('hex')).toBe('0800010001020100');
    expect((await b).errno).toBe('EEXIST');
    expect((await c).errno).toBe('ENOENT');
  });
});

describe('Requester: the window', () => {
  it('never more than `window` unanswered; everything in call order; few sendmsg() calls', async () => {
    const { sock, rq } = setup({ window: 8 });
    const ps = Array.from({ length: 100 }, (_, i) => rq.request(5, Buffer.from([i, 0, 0, 0])));
    const got = track(ps);
    let answered = 0;
    let maxOutstanding = 0;
    while (answered < 100) {
      await tick();
      const sent = sock.requests.length;
      maxOutstanding = Math.max(maxOutstanding, sent - answered);
      if (sent === answered) break;
      sock.deliver(errorMsg(sock.requests[answered]!.seq)); // the kernel answers in order, one datagram each
      answered++;
    }
    await tick();
    expect(got.every((a) => a?.errno === 0)).toBe(true);
    expect(maxOutstanding).toBe(8);
    expect(sock.requests.map((r) => r.attrs[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(sock.requests.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(sock.sends.length).toBeLessThanOrEqual(100 / 4 + 1); // refills once half the window is free
    expect(sock.referenced).toBe(false); // nothing outstanding: the socket no longer holds the process
  });

  it("a per-request window below the socket's", async () => {
    const { sock, rq } = setup({ window: 64 });
    for (let i = 0; i < 10; i++) void rq.request(5, Buffer.alloc(0), { window: 2 });
    await tick();
    expect(sock.requests).toHaveLength(2);
  });

  it("batch acks: only the last of a sendmsg() asks for an ack; an error is still that request's own", async () => {
    const { sock, rq } = setup({ window: 8 });
    const got = track(Array.from({ length: 5 }, () => rq.request(5, Buffer.alloc(0), { batchAck: true })));
    await tick();
    expect(sock.requests.map((r) => r.flags)).toEqual([1, 1, 1, 1, 5]);
    sock.deliver(errorMsg(2, 2)); // the kernel reports a failure unasked
    await tick();
    expect(got.map((a) => a?.errno)).toEqual([0, 'ENOENT', undefined, undefined, undefined]);
    sock.deliver(errorMsg(5));
    await tick();
    expect(got.map((a) => a?.errno)).toEqual([0, 'ENOENT', 0, 0, 0]);
  });
});

describe('Requester: deadlines and failures', () => {
  it('a request unanswered past its deadline fails with ETIMEDOUT, and so does everything queued behind it', async () => {
    const { sock, clock, rq } = setup({ window: 2, timeoutMs: 1000 });
    const got = track(Array.from({ length: 5 }, () => rq.request(5, Buffer.alloc(0))));
    await tick();
    clock.advance(999);
    await tick();
    expect(got.every((a) => a === undefined)).toBe(true);
    clock.advance(1);
    await tick();
    expect(got.map((a) => a?.errno)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
    expect(sock.requests).toHaveLength(2); // the queued three were never sent
    sock.deliver(errorMsg(1)); // a late answer finds nothing
    expect(clock.pending).toBe(0);
    expect(sock.referenced).toBe(false);
  });

  it("each request's deadline counts from its own sending", async () => {
    const { sock, clock, rq } = setup({ window: 1, timeoutMs: 1000 });
    const got = track([rq.request(5, Buffer.alloc(0)), rq.request(5, Buffer.alloc(0))]);
    await tick();
    clock.advance(900);
    sock.deliver(errorMsg(1));
    await tick();
    clock.advance(900); // the second went out at 900: 1800 is within its deadline
    await tick();
    expect(got.map((a) => a?.errno)).toEqual([0, undefined]);
    clock.advance(100);
    await tick();
    expect(got[1]?.errno).toBe('ETIMEDOUT');
  });

  it("a socket error fails everything outstanding with its code; a failed send fails that send's requests", async () => {
    const { sock, rq } = setup({ window: 2 });
    const got = track(Array.from({ length: 3 }, () => rq.request(5, Buffer.alloc(0))));
    await tick();
    sock.fail('ENOBUFS');
    await tick();
    expect(got.map((a) => a?.errno)).toEqual(['ENOBUFS', 'ENOBUFS', 'ENOBUFS']);
    sock.sendError = Object.assign(new Error('sendmsg'), { code: 'EPERM' });
    expect((await rq.request(5, Buffer.alloc(0))).errno).toBe('EPERM');
  });

  it('close() fails what is outstanding and anything asked afterwards', async () => {
    const { sock, rq } = setup();
    const p = rq.request(5, Buffer.alloc(0));
    await tick();
    rq.close();
    expect((await p).errno).toBe('EBADF');
    expect((await rq.request(5, Buffer.alloc(0))).errno).toBe('EBADF');
    expect(sock.closed).toBe(true);
  });
});
