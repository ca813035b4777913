/** Keyword tables: virtual_server, virtual_server_group, real_server, checkers, SSL. */
import type { Schema } from '../schema.js';
export const lvsRootKeywords: Schema = {};
