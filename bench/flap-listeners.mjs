#!/usr/bin/env node
/**
 * Real servers that answer, for bench/memory.mjs --flap-minutes: run INSIDE the bench's network namespace
 * (`ip netns exec NS node bench/flap-listeners.mjs TARGETS.json`), it listens on every `[address, port]` of
 * the JSON file (the addresses must already be configured in the namespace) and accepts and closes every
 * connection (a TCP_CHECK only connects).
 *
 * Driven by lines on stdin, answered by one JSON line on stdout each:
 * - `start S`: from now on, every S seconds, the sockets closed at the previous flap reopen and a random
 *   quarter of the open ones close, so the checkers keep seeing real servers go down and up;
 * - `stop`: no more flaps (the sockets stay as they are);
 * - `stats`: how many sockets listen, how many connections were accepted, flaps done, listen errors.
 * The first line it writes is `{"ready":...}` once every socket listens. It exits when stdin closes (the
 * bench is gone).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as readline from 'node:readline';

/** @type {Array<[string, number]>} */
const targets = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
/** The share of the open sockets that close at each flap. */
const CLOSE_SHARE = 0.25;
/** @type {Array<net.Server | null>} */
const servers = targets.map(() => null);
let accepts = 0;
let flaps = 0;
let listenErrors = 0;
/** @type {string | null} */
let lastError = null;
/** @type {number[]} */
let closedLast = [];
/** @type {NodeJS.Timeout | undefined} */
let timer;

/** @param {number} k @returns {Promise<void>} */
function open(k) {
  const [host, port] = targets[k];
  const s = net.createServer((c) => {
    accepts++;
    c.on('error', () => c.destroy());
    c.destroy();
  });
  servers[k] = s;
  return new Promise((resolve) => {
    s.once('listening', () => resolve());
    s.on('error', (e) => {
      listenErrors++;
      lastError = `${host}:${port}: ${e.message}`;
      if (servers[k] === s) servers[k] = null;
      resolve();
    });
    s.listen({ host, port, backlog: 64 });
  });
}

/** @param {number} k */
function close(k) {
  servers[k]?.close();
  servers[k] = null;
}

function flap() {
  flaps++;
  const reopen = closedLast;
  closedLast = [];
  for (let k = 0; k < servers.length; k++) {
    if (servers[k] && Math.random() < CLOSE_SHARE) {
      close(k);
      closedLast.push(k);
    }
  }
  for (const k of reopen) void open(k);
}

const stats = () => ({ open: servers.filter(Boolean).length, total: targets.length, accepts, flaps, listenErrors, lastError });
const say = (/** @type {object} */ o) => process.stdout.write(`${JSON.stringify(o)}\n`);

await Promise.all(targets.map((_, k) => open(k)));
say({ ready: true, ...stats() });

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'start') {
    clearInterval(timer);
    timer = setInterval(flap, Number(arg) * 1000);
    say({ started: true });
  } else if (cmd === 'stop') {
    clearInterval(timer);
    timer = undefined;
    say({ stopped: true });
  } else if (cmd === 'stats') say(stats());
  else say({ error: `unknown command: ${line}` });
});
rl.on('close', () => process.exit(0));
