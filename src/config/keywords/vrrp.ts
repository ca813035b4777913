/** Keyword tables: vrrp_instance, vrrp_sync_group, vrrp_script, track_file, vrrp_track_process, static_*, garp_group, bfd_instance... */
import type { Schema } from '../schema.js';
export const vrrpRootKeywords: Schema = {};
