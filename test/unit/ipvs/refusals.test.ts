/** Kernel refusals are logged once per entry until the entry succeeds or the file is reloaded. */
import { describe, expect, it } from 'vitest';
import { RefusalMemory } from '../../../src/ipvs/refusals.js';
import type { IpvsOp } from '../../../src/ipvs/types.js';

const svc = { af: 'inet', protocol: 'tcp', address: '192.0.2.1', port: 80 } as const;
const dest = (port: number) =>
  ({ af: 'inet', address: '203.0.113.1', port, fwd: 'masq', weight: 1, uThreshold: 0, lThreshold: 0, tunType: 0, tunPort: 0, tunFlags: 0 }) as never;
const newDest = (port: number): IpvsOp => ({ op: 'new-dest', service: svc as never, dest: dest(port) });
const newSvc: IpvsOp = { op: 'new-service', service: { ...svc, scheduler: 'nosuch' } as never };

describe('RefusalMemory', () => {
  it('logs a refusal once, again after a success or with another message, and everything after clear()', () => {
    const m = new RefusalMemory();
    const refused = [
      { ok: false, op: newSvc, message: "unknown scheduler 'nosuch'" },
      { ok: false, op: newDest(80), message: 'ESRCH: the virtual server does not exist' },
      { ok: false, op: newDest(81), message: 'ESRCH: the virtual server does not exist' },
    ];
    expect(m.sort(refused)).toEqual({ failed: 3, fresh: refused.map((r) => r.message) });
    // The same pass again (a health pass retrying): still failing, nothing new to say.
    expect(m.sort(refused)).toEqual({ failed: 3, fresh: [] });
    // One entry succeeds, then fails again: that one is news.
    expect(m.sort([{ ok: true, op: newDest(80), message: 'added' }])).toEqual({ failed: 0, fresh: [] });
    expect(m.sort(refused)).toEqual({ failed: 3, fresh: ['ESRCH: the virtual server does not exist'] });
    // A different reason for the same entry is logged.
    expect(m.sort([{ ok: false, op: newDest(81), message: 'ENOMEM' }]).fresh).toEqual(['ENOMEM']);
    // The service and a destination of it are different entries even with the same message.
    const same = 'EINVAL';
    expect(
      m.sort([
        { ok: false, op: newSvc, message: same },
        { ok: false, op: newDest(82), message: same },
      ]).fresh,
    ).toEqual([same, same]);
    m.clear();
    expect(m.sort(refused).fresh).toHaveLength(3);
  });

  it('names where a refused entry is configured when told', () => {
    const m = new RefusalMemory();
    const where = (op: IpvsOp) => (op.op === 'new-service' ? 'k.conf:3' : undefined);
    const r = [
      { ok: false, op: newSvc, message: "unknown scheduler 'nosuch'" },
      { ok: false, op: newDest(80), message: 'ENOMEM' },
    ];
    expect(m.sort(r, where).fresh).toEqual(["unknown scheduler 'nosuch' (k.conf:3)", 'ENOMEM']);
    expect(m.sort(r, where).fresh).toEqual([]); // remembered by the message itself
  });
});
