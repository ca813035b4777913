/**
 * Checker layer, edge: `tskeepalived -T` / `--genhash`, keepalived's genhash: fetches one URL the way
 * HTTP_GET/SSL_GET does and prints the MD5 of the body, the value for a url's `digest`. Takes genhash's
 * options (-s server, -p port, -u url, -S ssl, -V virtualhost, -P 1.0|1.0c|1.1, -t timeout, -v verbose).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { HttpCheck } from '../config/model/lvs.js';
import { fetchOnce } from './probes/http.js';

export interface GenhashOptions {
  server: string;
  port: number;
  url: string;
  ssl: boolean;
  virtualhost?: string;
  protocol: '1.0' | '1.0C' | '1.1';
  timeoutS: number;
  verbose: boolean;
  /** -m: SO_MARK on the connection (0 = none). */
  fwmark?: number;
}

const USAGE = 'Usage: tskeepalived --genhash [-S] -s SERVER -p PORT -u URL [-V VIRTUALHOST] [-P 1.0|1.0c|1.1] [-t TIMEOUT] [-m FWMARK] [-v]';

/** genhash's command line; throws with a message naming the bad option. */
export function parseGenhashArgs(argv: string[]): GenhashOptions | 'help' {
  const o: Partial<GenhashOptions> = { ssl: false, protocol: '1.0', timeoutS: 5, verbose: false };
  const names: Record<string, string> = {
    '--use-ssl': '-S',
    '--server': '-s',
    '--port': '-p',
    '--url': '-u',
    '--use-virtualhost': '-V',
    '--protocol': '-P',
    '--timeout': '-t',
    '--verbose': '-v',
    '--help': '-h',
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    let v: string | undefined;
    if (a.startsWith('--') && a.includes('=')) [a, v] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
    const f = names[a] ?? a;
    const val = () => {
      const x = v ?? argv[++i];
      if (x === undefined) throw new Error(`missing parameter for option ${a}`);
      return x;
    };
    switch (f) {
      case '-S':
        o.ssl = true;
        break;
      case '-v':
        o.verbose = true;
        break;
      case '-h':
        return 'help';
      case '-s': {
        const s = val();
        if (!isIP(s)) throw new Error(`server should be an IP, not ${s}`);
        o.server = s;
        break;
      }
      case '-p': {
        const p = val();
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new Error(`invalid port number '${p}'`);
        o.port = Number(p);
        break;
      }
      case '-u':
        o.url = val();
        break;
      case '-V':
        o.virtualhost = val();
        break;
      case '-P': {
        const p = val().toUpperCase();
        if (p !== '1.0' && p !== '1.0C' && p !== '1.1') throw new Error(`invalid HTTP protocol version '${p}'`);
        o.protocol = p;
        break;
      }
      case '-t': {
        const t = Number(val());
        if (!(t > 0)) throw new Error(`invalid timeout '${argv[i]}'`);
        o.timeoutS = t;
        break;
      }
      case '-m': {
        const m = Number(val());
        if (!Number.isInteger(m) || m < 0 || m > 0xffffffff) throw new Error(`invalid fwmark '${argv[i]}'`);
        o.fwmark = m;
        break;
      }
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (!o.server || !o.url) throw new Error(`-s SERVER and -u URL are needed\n${USAGE}`);
  o.port ??= o.ssl ? 443 : 80;
  return o as GenhashOptions;
}

export function genhashUsage(): string {
  return USAGE;
}

/** Fetches and returns what to print (and the exit status). */
export async function genhash(o: GenhashOptions): Promise<{ out: string; err: string; status: number }> {
  const check = {
    type: o.ssl ? 'SSL_GET' : 'HTTP_GET',
    connection: {
      connectIp: o.server,
      family: o.server.includes(':') ? 'inet6' : 'inet',
      connectPort: o.port,
      bindPort: 0,
      connectTimeoutS: o.timeoutS,
      fwmark: o.fwmark ?? 0,
    },
    urls: [],
    httpProtocol: o.protocol,
    enableSni: true,
    ...(o.virtualhost ? { virtualhost: o.virtualhost } : {}),
  } as unknown as HttpCheck;
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), o.timeoutS * 1000);
  const t0 = performance.now();
  const r = await fetchOnce(check, { path: o.url, statusCodes: [[0, 999]] } as unknown as HttpCheck['urls'][number], {}, ctl.signal);
  clearTimeout(t);
  if ('error' in r) return { out: '', err: `cannot fetch ${o.url} from [${o.server}]:${o.port}: ${ctl.signal.aborted ? 'timeout' : r.error}\n`, status: 1 };
  if (r.body.length === 0) return { out: '', err: 'no data received from remote webserver\n', status: 1 };
  const md5 = createHash('md5').update(r.body).digest('hex');
  if (!o.verbose) return { out: `${md5}\n`, err: '', status: 0 };
  const ms = Math.round(performance.now() - t0);
  return {
    out: `${r.headers}\n${r.body.toString('latin1')}\n\nMD5SUM = ${md5}\n\nGlobal response time for [${o.url}] = ${ms * 1000} usecs\n`,
    err: '',
    status: 0,
  };
}
