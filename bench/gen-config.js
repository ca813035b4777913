// Generates a keepalived.conf with `vs` virtual servers x `rs` real servers, each with a TCP_CHECK.
// Addresses are documentation ranges only (198.51.100.0/24 VIPs, 203.0.113.0/24 + 192.0.2.0/24 RIPs).
export function genConfig(vs = 1000, rs = 10) {
  const out = ['global_defs {', '  router_id bench', '}', ''];
  for (let v = 0; v < vs; v++) {
    const port = 1000 + v;
    out.push(`virtual_server 198.51.100.10 ${port} {`, '  delay_loop 6', '  lb_algo wrr', '  lb_kind NAT', '  protocol TCP', '');
    for (let r = 0; r < rs; r++) {
      const n = v * rs + r;
      const ip = n % 2 ? `203.0.113.${(n % 250) + 1}` : `192.0.2.${(n % 250) + 1}`;
      out.push(`  real_server ${ip} ${port} {`, `    weight ${1 + (r % 5)}`, '    TCP_CHECK {', '      connect_timeout 3', '    }', '  }');
    }
    out.push('}', '');
  }
  return out.join('\n');
}
