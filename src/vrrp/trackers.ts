/**
 * VRRP layer, edge: the running trackers of the VRRP side — vrrp_script processes run every `interval`
 * (killed after `timeout`, rise/fall applied), interface state from the rtnetlink monitor (track_file: script/file-tracker.ts). Each change calls `onChange`; the daemon turns that into a priority or FAULT for the
 * instances that track the object.
 */
import { spawn } from 'node:child_process';
import type { VrrpScript } from '../config/model/vrrp.js';
import { nextScriptState } from './track.js';
import { resolveIdentity } from '../util/users.js';
import type { LinkSource } from '../net/rtnl-monitor.js';
import { errorText } from '../util/errors.js';

export interface TrackerLog {
  warn(msg: string): void;
  info(msg: string): void;
}

export class ScriptTracker {
  up: boolean;
  private streak = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** The user (and group) the script runs as: its `user`, else global_defs script_user; undefined = ours. */
  private readonly identity: { uid: number; gid: number } | undefined;

  constructor(
    readonly script: VrrpScript,
    private readonly onChange: () => void,
    private readonly log: TrackerLog,
    scriptUser?: { user: string; group?: string },
  ) {
    this.up = !script.initFail;
    const user = script.user ?? script.script?.user ?? scriptUser?.user;
    const group = script.user !== undefined ? script.group : script.script?.user !== undefined ? script.script.group : scriptUser?.group;
    try {
      this.identity = user !== undefined ? resolveIdentity(user, group) : undefined;
    } catch (e) {
      log.warn(`track script ${script.name}: ${errorText(e)} - running it as the daemon's user`);
      this.identity = undefined;
    }
  }

  start(): void {
    this.runOnce();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.runOnce(), this.script.intervalS * 1000);
  }

  private runOnce(): void {
    const argv = this.script.script?.argv ?? [];
    if (argv.length === 0 || this.stopped) return;
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      const next = nextScriptState({ up: this.up, streak: this.streak }, ok, this.script.rise, this.script.fall);
      this.streak = next.streak;
      if (next.up !== this.up) {
        this.up = next.up;
        this.log.info(`track script ${this.script.name} is now ${this.up ? 'succeeding' : 'failing'}`);
        this.onChange();
      }
      this.schedule();
    };
    try {
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore', ...(this.identity ?? {}) });
      const kill = setTimeout(
        () => {
          try {
            if (child.pid) process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          finish(false);
        },
        (this.script.timeoutS || this.script.intervalS) * 1000,
      );
      child.on('error', () => {
        clearTimeout(kill);
        finish(false);
      });
      child.on('exit', (code) => {
        clearTimeout(kill);
        // A check leaves nothing running: children it started in its process group go with it.
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* the group is empty */
        }
        finish(code === 0);
      });
    } catch (e) {
      this.log.warn(`track script ${this.script.name}: ${errorText(e)}`);
      finish(false);
    }
  }
}

/**
 * Interface up/down as the rtnetlink monitor (net/rtnl-monitor.ts) reports it: up when administratively
 * up with an operational state of UP or UNKNOWN. The daemon calls refresh() on every link event; there
 * is no polling. A missing interface (deleted, or not created yet) is down.
 */
export class InterfaceTracker {
  up: boolean;

  constructor(
    readonly name: string,
    private readonly onChange: () => void,
    private readonly links: LinkSource,
  ) {
    this.up = links.link(name)?.up ?? false;
  }

  /** Re-reads the link's state; calls onChange when it moved. */
  refresh(): void {
    const now = this.links.link(this.name)?.up ?? false;
    if (now === this.up) return;
    this.up = now;
    this.onChange();
  }

  start(): void {}

  stop(): void {}
}
