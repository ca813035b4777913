/**
 * Parity with keepalived: for one configuration that uses every IPVS feature keepalived maps
 * (schedulers, NAT/DR/TUN with tunnel types, persistence and granularity, fwmark services, groups with
 * ranges and fwmarks, weights incl. 0, thresholds, one-packet scheduling, scheduler flags, sorry
 * servers, IPv6), `ipvsadm -S -n` after tskeepalived starts is identical to what real keepalived
 * programs in the same kernel, and both leave nothing behind when stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLab, IN_VM, ipvsAvailable, ns, resetLab, savedTable, startDaemon, waitFor } from './lab.js';

const HAVE_IPVS = IN_VM && ipvsAvailable();

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

export const PARITY_CONFIG = `global_defs {
  router_id parity
}
${SCHEDULERS.map(
  (s, i) => `virtual_server 192.0.2.${100 + i} 80 {
  lb_algo ${s}
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.11 8080 {
    weight ${i}
  }
  real_server 198.51.100.12 80 {
    weight 2
    uthreshold 100
    lthreshold 10
  }
}
`,
).join('')}
virtual_server 192.0.2.150 0 {
  lb_algo sh
  sh-port
  sh-fallback
  lb_kind DR
  protocol TCP
  persistence_timeout 600
  persistence_granularity 255.255.255.0
  real_server 192.0.2.11 0 {
    weight 1
  }
}
virtual_server 192.0.2.151 53 {
  lb_algo mh
  mh-port
  mh-fallback
  ops
  lb_kind DR
  protocol UDP
  real_server 192.0.2.11 53 {
    weight 1
  }
}
virtual_server 192.0.2.152 80 {
  lb_algo wrr
  protocol TCP
  lvs_method TUN type gue port 6080 csum
  real_server 192.0.2.11 80 {
    weight 1
  }
  real_server 192.0.2.12 80 {
    lvs_method TUN type gre nocsum
    weight 1
  }
  real_server 192.0.2.13 80 {
    lvs_method TUN
    weight 1
  }
}
virtual_server 192.0.2.153 443 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  persistence_timeout
  sorry_server 198.51.100.20 443
}
virtual_server fwmark 7 {
  lb_algo wlc
  lb_kind DR
  persistence_timeout 120
  real_server 192.0.2.11 0 {
    weight 5
  }
}
virtual_server_group web {
  192.0.2.200-203 80
  fwmark 9
}
virtual_server group web {
  lb_algo lc
  lb_kind DR
  protocol TCP
  real_server 192.0.2.11 80 {
    weight 3
  }
}
virtual_server 2001:db8:0:1::100 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  persistence_timeout 30
  persistence_granularity 64
  real_server 2001:db8:0:2::11 80 {
    weight 1
  }
  real_server 2001:db8:0:2::12 80 {
    weight 0
  }
}
`;

describe.skipIf(!HAVE_IPVS)('ipvsadm -S -n parity with keepalived', () => {
  const tables: Record<string, string[]> = {};
  const after: Record<string, string[]> = {};

  beforeAll(async () => {
    buildLab('NAT');
    ns('d1', 'ip -6 addr add 2001:db8:0:2::1/64 dev eth1 nodad && ip -6 addr add 2001:db8:0:1::1/64 dev eth0 nodad');
    for (const kind of ['keepalived', 'tskeepalived'] as const) {
      const d = startDaemon(kind, 'd1', PARITY_CONFIG);
      let last = -1;
      let stableSince = Date.now();
      // Programmed when the table has stopped changing for 3 s (keepalived says nothing when it is done).
      await waitFor(
        () => {
          const n = savedTable().length;
          if (n !== last) [last, stableSince] = [n, Date.now()];
          return n > 0 && Date.now() - stableSince > 3000;
        },
        90_000,
        `${kind} to program the table (output: ${d.output()})`,
        250,
      );
      tables[kind] = savedTable();
      await d.stop();
      await waitFor(() => savedTable().length === 0, 20_000, `${kind} to remove its table at stop`).catch(() => undefined);
      after[kind] = savedTable();
    }
  });
  afterAll(() => resetLab());

  it('programs the same table as keepalived', () => {
    expect(tables.keepalived!.length).toBeGreaterThan(40);
    expect(tables.tskeepalived).toEqual(tables.keepalived);
  });

  it('leaves nothing behind at stop, as keepalived does', () => {
    expect(after.keepalived).toEqual([]);
    expect(after.tskeepalived).toEqual([]);
  });
});
