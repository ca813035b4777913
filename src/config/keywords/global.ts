/** Keyword tables: global_defs and root-level global keywords. */
import type { Schema } from '../schema.js';
export const globalRootKeywords: Schema = {};
