/**
 * desiredTable() against keepalived 2.2.7 itself: the configuration below was run under keepalived 2.2.7
 * (`keepalived -C`) in the VM lab's kernel (Debian 6.1) and `ipvsadm -S -n` printed KEEPALIVED_TABLE.
 * It covers what the source reading of ipvswrapper.c/ipwrapper.c predicted and the lab confirmed:
 * persistence_granularity ignored on group services (G1), NAT destinations keeping their own port (0 when
 * none) on fwmark and group services (FWM 12, G2), two virtual servers sharing a group (G3) or an address
 * (10.1.0.20) merged with the first one winning, lthreshold > uthreshold refused by the kernel (10.1.0.21),
 * persistence_engine only with persistence (10.1.0.22/23), the sorry server with quorum lost and alive
 * real servers removed (10.1.0.30/34/41), inhibit_on_failure at weight 0 (10.1.0.31, 10.1.0.42),
 * sorry_server_inhibit (10.1.0.32), IPv4 tunnelled real servers of IPv6 services (FWM 14, G4), an IPv6
 * range stepping only its last 16 bits (G4), alpha checkers starting down (10.1.0.30/31/33/34/42).
 */
import { describe, expect, it } from 'vitest';
import { desiredTable, healthView, initialHealth } from '../../../src/ipvs/desired.js';
import { FWD, SVC_F, type IpvsTable } from '../../../src/ipvs/types.js';
import { load } from '../config/helpers.js';

/** A table as `ipvsadm -S -n` prints it (the fields that ipvsadm shows), sorted. */
function ipvsadmSave(table: IpvsTable): string[] {
  const out: string[] = [];
  for (const { service: s, dests } of table.values()) {
    const v6 = s.af === 'inet6';
    const key = s.fwmark !== undefined ? `-f ${s.fwmark}${v6 ? ' -6' : ''}` : `-${s.protocol[0]} ${v6 ? `[${s.address}]` : s.address}:${s.port}`;
    let line = `-A ${key} -s ${s.scheduler}`;
    if (s.flags & SVC_F.PERSISTENT) line += ` -p ${s.timeoutS}`;
    if (s.netmask !== (v6 ? 128 : 0xffffffff)) line += ` -M ${v6 ? s.netmask : [24, 16, 8, 0].map((b) => (s.netmask >>> b) & 255).join('.')}`;
    if (s.peName) line += ` --pe ${s.peName}`;
    out.push(line);
    for (const d of dests.values()) {
      const fwd = d.fwd === FWD.MASQ ? '-m' : d.fwd === FWD.DROUTE ? '-g' : '-i';
      const tun = d.fwd === FWD.TUNNEL ? ` --tun-type ${['ipip', 'gue', 'gre'][d.tunType]}` : '';
      out.push(`-a ${key} -r ${d.af === 'inet6' ? `[${d.address}]` : d.address}:${d.port} ${fwd} -w ${d.weight}${tun}`);
    }
  }
  return out.sort();
}

const KEEPALIVED_TABLE = [
  '-A -f 11 -s rr -p 100',
  '-A -f 12 -s rr',
  '-A -f 13 -s rr',
  '-A -f 14 -6 -s rr',
  '-A -t 10.1.0.10:80 -s rr',
  '-A -t 10.1.0.11:81 -s rr',
  '-A -t 10.1.0.12:80 -s rr',
  '-A -t 10.1.0.1:80 -s rr -p 100',
  '-A -t 10.1.0.20:80 -s rr',
  '-A -t 10.1.0.21:80 -s rr',
  '-A -t 10.1.0.2:80 -s rr -p 100',
  '-A -t 10.1.0.30:80 -s rr',
  '-A -t 10.1.0.31:80 -s rr',
  '-A -t 10.1.0.32:80 -s rr',
  '-A -t 10.1.0.33:80 -s rr',
  '-A -t 10.1.0.34:80 -s rr',
  '-A -t 10.1.0.40:80 -s rr',
  '-A -t 10.1.0.41:80 -s rr',
  '-A -t 10.1.0.42:80 -s rr',
  '-A -t 10.1.1.0:80 -s rr',
  '-A -t 10.1.1.1:80 -s rr',
  '-A -t 10.1.1.2:80 -s rr',
  '-A -t 10.1.1.3:80 -s rr',
  '-A -t [2001:db8::1:0]:80 -s rr',
  '-A -t [2001:db8::1:1]:80 -s rr',
  '-A -t [2001:db8::1:fffe]:80 -s rr',
  '-A -t [2001:db8::1:ffff]:80 -s rr',
  '-A -u 10.1.0.22:5060 -s rr',
  '-A -u 10.1.0.23:5060 -s rr -p 30 --pe sip',
  '-a -f 11 -r 10.9.0.1:0 -g -w 1',
  '-a -f 12 -r 10.9.0.2:8080 -m -w 1',
  '-a -f 12 -r 10.9.0.3:80 -m -w 1',
  '-a -f 13 -r 10.9.0.4:0 -m -w 1',
  '-a -f 13 -r 10.9.0.5:8080 -m -w 1',
  '-a -f 13 -r 10.9.0.6:0 -m -w 1',
  '-a -f 14 -6 -r 10.9.0.30:0 -i -w 1 --tun-type ipip',
  '-a -t 10.1.0.10:80 -r 10.9.0.4:0 -m -w 1',
  '-a -t 10.1.0.10:80 -r 10.9.0.5:8080 -m -w 1',
  '-a -t 10.1.0.10:80 -r 10.9.0.6:0 -m -w 1',
  '-a -t 10.1.0.11:81 -r 10.9.0.4:0 -m -w 1',
  '-a -t 10.1.0.11:81 -r 10.9.0.5:8080 -m -w 1',
  '-a -t 10.1.0.11:81 -r 10.9.0.6:0 -m -w 1',
  '-a -t 10.1.0.12:80 -r 10.9.0.7:80 -g -w 3',
  '-a -t 10.1.0.12:80 -r 10.9.0.8:80 -g -w 1',
  '-a -t 10.1.0.12:80 -r 10.9.0.9:80 -g -w 1',
  '-a -t 10.1.0.1:80 -r 10.9.0.1:80 -g -w 1',
  '-a -t 10.1.0.20:80 -r 10.9.0.10:80 -g -w 1',
  '-a -t 10.1.0.20:80 -r 10.9.0.11:80 -g -w 1',
  '-a -t 10.1.0.21:80 -r 10.9.0.14:80 -g -w 1',
  '-a -t 10.1.0.2:80 -r 10.9.0.1:80 -g -w 1',
  '-a -t 10.1.0.30:80 -r 10.9.0.99:80 -g -w 1',
  '-a -t 10.1.0.31:80 -r 10.9.0.20:80 -g -w 0',
  '-a -t 10.1.0.31:80 -r 10.9.0.21:80 -g -w 0',
  '-a -t 10.1.0.31:80 -r 10.9.0.99:80 -g -w 1',
  '-a -t 10.1.0.32:80 -r 10.9.0.21:80 -g -w 1',
  '-a -t 10.1.0.32:80 -r 10.9.0.99:80 -g -w 0',
  '-a -t 10.1.0.33:80 -r 10.9.0.21:80 -g -w 4',
  '-a -t 10.1.0.34:80 -r 10.9.0.98:0 -m -w 1',
  '-a -t 10.1.0.40:80 -r 10.9.0.40:80 -g -w 0',
  '-a -t 10.1.0.41:80 -r 10.9.0.99:80 -g -w 1',
  '-a -t 10.1.0.42:80 -r 10.9.0.41:80 -g -w 1',
  '-a -t 10.1.0.42:80 -r 10.9.0.42:80 -g -w 0',
  '-a -t 10.1.1.0:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t 10.1.1.1:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t 10.1.1.2:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t 10.1.1.3:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t [2001:db8::1:0]:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t [2001:db8::1:1]:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t [2001:db8::1:fffe]:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -t [2001:db8::1:ffff]:80 -r 10.9.0.31:80 -i -w 1 --tun-type ipip',
  '-a -u 10.1.0.22:5060 -r 10.9.0.15:5060 -g -w 1',
  '-a -u 10.1.0.23:5060 -r 10.9.0.15:5060 -g -w 1',
];

const CONFIG = `global_defs {
  router_id exp
}
virtual_server_group G1 {
  10.1.0.1-2 80
  fwmark 11
}
virtual_server group G1 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  persistence_timeout 100
  persistence_granularity 255.255.255.0
  real_server 10.9.0.1 80 {
  }
}
virtual_server fwmark 12 {
  lb_algo rr
  real_server 10.9.0.2 8080 {
  }
  real_server 10.9.0.3 80 {
  }
}
virtual_server_group G2 {
  10.1.0.10 80
  10.1.0.11 81
  fwmark 13
}
virtual_server group G2 {
  lb_algo rr
  protocol TCP
  real_server 10.9.0.4 {
  }
  real_server 10.9.0.5 8080 {
  }
  real_server 10.9.0.6 {
  }
}
virtual_server_group G3 {
  10.1.0.12 80
}
virtual_server group G3 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.9.0.7 80 {
    weight 3
  }
  real_server 10.9.0.8 80 {
  }
}
virtual_server group G3 {
  lb_algo wlc
  lb_kind DR
  protocol TCP
  real_server 10.9.0.7 80 {
    weight 5
  }
  real_server 10.9.0.9 80 {
  }
}
virtual_server 10.1.0.20 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.9.0.10 80 {
  }
}
virtual_server 10.1.0.20 80 {
  lb_algo wlc
  lb_kind DR
  protocol TCP
  persistence_timeout 50
  real_server 10.9.0.10 80 {
    weight 7
  }
  real_server 10.9.0.11 80 {
  }
}
virtual_server 10.1.0.21 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.9.0.12 80 {
    lthreshold 10
  }
  real_server 10.9.0.13 80 {
    uthreshold 5
    lthreshold 10
  }
  real_server 10.9.0.14 80 {
    uthreshold 10
    lthreshold 5
  }
}
virtual_server 10.1.0.22 5060 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  persistence_engine sip
  real_server 10.9.0.15 5060 {
  }
}
virtual_server 10.1.0.23 5060 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  persistence_engine sip
  persistence_timeout 30
  real_server 10.9.0.15 5060 {
  }
}
virtual_server 10.1.0.30 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 2
  sorry_server 10.9.0.99 80
  real_server 10.9.0.20 80 {
    TCP_CHECK {
      alpha
      connect_ip 127.0.0.1
      connect_port 1
    }
  }
  real_server 10.9.0.21 80 {
  }
}
virtual_server 10.1.0.31 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 2
  sorry_server 10.9.0.99 80
  real_server 10.9.0.20 80 {
    inhibit_on_failure
    TCP_CHECK {
      alpha
      connect_ip 127.0.0.1
      connect_port 1
    }
  }
  real_server 10.9.0.21 80 {
    inhibit_on_failure
  }
}
virtual_server 10.1.0.32 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  sorry_server 10.9.0.99 80
  sorry_server_inhibit
  real_server 10.9.0.21 80 {
  }
}
virtual_server 10.1.0.33 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  quorum 2
  sorry_server 10.9.0.21 80
  real_server 10.9.0.20 80 {
    TCP_CHECK {
      alpha
      connect_ip 127.0.0.1
      connect_port 1
    }
  }
  real_server 10.9.0.21 80 {
    weight 4
  }
}
virtual_server 10.1.0.34 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  quorum 2
  sorry_server 10.9.0.98
  real_server 10.9.0.20 80 {
    TCP_CHECK {
      alpha
      connect_ip 127.0.0.1
      connect_port 1
    }
  }
  real_server 10.9.0.21 80 {
  }
}
virtual_server fwmark 14 {
  ip_family inet6
  lb_algo rr
  lb_kind TUN
  real_server 10.9.0.30 0 {
  }
}
virtual_server_group G4 {
  10.1.1.0/30 80
  2001:db8::1:fffe-2001:db8::2:1 80
}
virtual_server group G4 {
  lb_algo rr
  lb_kind TUN
  protocol TCP
  real_server 10.9.0.31 80 {
  }
}
virtual_server 10.1.0.40 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.9.0.40 80 {
    weight 0
  }
}
virtual_server 10.1.0.41 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  sorry_server 10.9.0.99 80
  real_server 10.9.0.40 80 {
    weight 0
  }
}
virtual_server 10.1.0.42 80 {
  lb_algo rr
  lb_kind DR
  protocol TCP
  alpha
  real_server 10.9.0.41 80 {
  }
  real_server 10.9.0.42 80 {
    inhibit_on_failure
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port 1
    }
  }
}
`;

describe('desiredTable() matches keepalived 2.2.7 in the kernel', () => {
  it('programs what keepalived 2.2.7 programmed for the same configuration', () => {
    const r = load(CONFIG);
    const { table, problems } = desiredTable(r.lvs, healthView(initialHealth(r.lvs)));
    expect(ipvsadmSave(table)).toEqual([...KEEPALIVED_TABLE].sort());
    expect(problems.join('\n')).toMatch(/ignores persistence_granularity for group services/);
    expect(problems.join('\n')).toMatch(/steps only the last 16 bits/);
    expect(problems.filter((p) => /already defines/.test(p))).toHaveLength(2);
    expect(problems.filter((p) => /ERANGE/.test(p)).map((p) => p.split(' of ')[0])).toEqual(['real server 10.9.0.12', 'real server 10.9.0.13']);
  });
});
