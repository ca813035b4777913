/** Config model: virtual servers, virtual server groups, real servers, checkers, SSL. */
export interface LvsConfig {
  virtualServers: unknown[];
}
export function emptyLvs(): LvsConfig {
  return { virtualServers: [] };
}
