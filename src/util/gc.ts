/**
 * Util: a full garbage collection on request, after a phase that leaves a lot of garbage behind (a
 * configuration parsed and validated, a reload applied). V8 otherwise keeps those pages until allocation
 * pressure or its idle-time memory reducer gets to them, and a daemon that is mostly idle may hold tens of
 * megabytes of dead parse results for minutes. One collection of such a heap takes tens of milliseconds (a
 * few hundred under emulation); it is never done in the VRRP process, whose adverts must not wait. It runs
 * once the process has been quiet for a second, so a SIGHUP that follows a start, or a burst of them, is not
 * kept waiting behind a collection, and a burst pays for one.
 *
 * V8's own collector is reached through `--expose-gc`, set at run time and then read from a fresh context
 * (the flag only affects contexts created after it). It is asked for its "last resort" collection, the one
 * that also gives the emptied pages back: an ordinary full collection leaves the heap's committed size where
 * the parse took it (measured: a 1 MB file parsed ten times left 16 MB live in a 145 MB heap and 177 MB of
 * RSS; with this collection 17 MB and 82 MB). Then glibc's malloc is asked to give back what it holds
 * free (malloc_trim): the buffers a parse allocates outside V8's heap (the file, the packed lines) leave
 * malloc's heaps fragmented, and a reloaded supervisor's RSS rose some 35 MiB above its start with a flat
 * JavaScript heap (measured: 300 reloads of the 1 MB file, 114 MiB RSS; trimmed, 76 MiB).
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { mallocTrim } from '../net/libc.js';

type Gc = (o?: { type: 'major'; execution: 'sync'; flavor?: 'last-resort' }) => void;

let gc: Gc | null | undefined;
let pending: NodeJS.Timeout | undefined;
/** Work in progress that a collection must not interrupt (holdGarbageCollection()). */
let holds = 0;

/**
 * Keeps the collection asked for by collectGarbageSoon() from running until the returned function is called
 * (a reload in progress: a collection due meanwhile waits for it to finish).
 */
export function holdGarbageCollection(): () => void {
  holds++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds--;
  };
}

/** Whether the collection due is to give memory back ("last resort"), asked by one of the calls since the last. */
let thorough = false;
/** The heap's committed size after the last collection that gave memory back. */
let heapAfterGiveBack = 0;
/**
 * How far the heap may grow above that before an ordinary collection is made a giving-back one: ordinary
 * collections keep the pages the heap grew to, and 200 reloads by difference took a supervisor from 83 to 133
 * MiB with them alone.
 */
const HEAP_SLACK = 4 * 1024 * 1024;

/**
 * Collects garbage a second after the last call (a timer that keeps no process alive); a no-op where V8 refuses.
 * `giveBack` (after a start or a whole parse, which leave tens of megabytes of garbage): V8's "last resort"
 * collection, which gives the emptied pages back, then malloc_trim. It also throws away the compiled code and
 * what the code learned about its objects, so the next reload runs cold: measured, a reload by difference of
 * the 1 MB file took 23 ms in process after one, 8-10 ms after an ordinary full collection. Without it (after a
 * reload by difference, which leaves little garbage): an ordinary full collection, then malloc_trim, unless the
 * heap has grown by HEAP_SLACK since memory was last given back, which makes it a giving-back one.
 */
export function collectGarbageSoon(giveBack = true): void {
  thorough ||= giveBack;
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as Gc;
    } catch {
      gc = null;
    }
  }
  const collect = gc;
  if (!collect) return;
  if (pending) clearTimeout(pending);
  const run = (): void => {
    if (holds > 0) {
      pending = setTimeout(run, 1000).unref();
      return;
    }
    pending = undefined;
    const giving = thorough || v8.getHeapStatistics().total_heap_size > heapAfterGiveBack + HEAP_SLACK;
    thorough = false;
    if (giving) collect({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    else collect({ type: 'major', execution: 'sync' });
    trimMalloc();
    if (giving) {
      for (const fn of codeDropped) fn();
      // The size to grow from is taken once what those callbacks started is done (the code they compiled
      // belongs to it): measured at once, the next ordinary collection would always find the heap grown.
      setImmediate(() => {
        heapAfterGiveBack = v8.getHeapStatistics().total_heap_size;
      }).unref();
    }
  };
  pending = setTimeout(run, 1000).unref();
}

/** Called after each collection that gave memory back (BOUNDED: the supervisor adds one, at its start). */
const codeDropped: Array<() => void> = [];

/**
 * Runs `fn` after each collection that gives memory back, which throws compiled code away: to compile again,
 * ahead of need, code that must be quick when it runs next.
 */
export function onCodeDropped(fn: () => void): void {
  codeDropped.push(fn);
}

let trimWorks = true;

/** malloc_trim(0), where libc has it (glibc); nothing otherwise (musl, no FFI). */
function trimMalloc(): void {
  if (!trimWorks) return;
  try {
    mallocTrim(0);
  } catch {
    trimWorks = false;
  }
}
