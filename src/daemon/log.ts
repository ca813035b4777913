/**
 * Daemon layer: the logger. pino, JSON lines on stderr (journald and `-l` both read stderr);
 * `-D` lowers the level to debug.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(detail: boolean): Logger {
  return pino({ base: { pid: process.pid }, level: detail ? 'debug' : 'info', timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
}
