/**
 * Script layer, edge: a tracked file (track_file, and the checkers' FILE_CHECK): the number written in a file,
 * read at start and whenever the file changes (inotify through fs.watch on its directory, so a file
 * replaced by rename is seen too). A missing or unreadable file, or text that is not a number, reads as 0
 * (with one warning). `init_file` writes the initial value first. Used by the VRRP and checker processes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrackFile } from '../config/model/vrrp.js';
import { errorText } from '../util/errors.js';

export interface FileTrackerLog {
  warn(msg: string): void;
  info(msg: string): void;
}

export class FileTracker {
  value = 0;
  private watcher: fs.FSWatcher | undefined;
  private warned = false;

  constructor(
    readonly def: TrackFile,
    private readonly onChange: () => void,
    private readonly log: FileTrackerLog,
  ) {
    const file = def.file;
    if (file && def.init && (def.init.overwrite || !fs.existsSync(file))) {
      try {
        fs.writeFileSync(file, `${def.init.value}\n`);
      } catch (e) {
        log.warn(`track_file ${def.name}: cannot initialise ${file}: ${errorText(e)}`);
      }
    }
    this.value = this.read();
  }

  private read(): number {
    if (!this.def.file) return 0;
    let text: string;
    try {
      text = fs.readFileSync(this.def.file, 'utf8').trim();
    } catch (e) {
      if (!this.warned) this.log.warn(`track_file ${this.def.name}: ${errorText(e)} - reading as 0`);
      this.warned = true;
      return 0;
    }
    this.warned = false;
    const m = /^[+-]?(0x[0-9a-f]+|\d+)/i.exec(text);
    if (!m) return 0;
    const n = m[0].toLowerCase().includes('0x') ? Number.parseInt(m[0], 16) : Number.parseInt(m[0], 10);
    return Number.isFinite(n) ? n : 0;
  }

  start(): void {
    const file = this.def.file;
    if (!file) return;
    const base = path.basename(file);
    try {
      this.watcher = fs.watch(path.dirname(file), (_ev, name) => {
        if (name !== null && name.toString() !== base) return;
        const v = this.read();
        if (v === this.value) return;
        this.value = v;
        this.log.info(`track_file ${this.def.name} now reads ${v}`);
        this.onChange();
      });
      this.watcher.on('error', (e) => this.log.warn(`track_file ${this.def.name}: ${e.message}`));
    } catch (e) {
      this.log.warn(`track_file ${this.def.name}: cannot watch ${file}: ${errorText(e)}`);
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
