/**
 * Samples two directors' address tables every 20 ms until stopped and returns the longest time both
 * held the VIP at once (0 when never): what a pair is held to by "never both MASTER for longer than one
 * advert interval".
 */
export function watchOverlap(holds: (side: 'a' | 'b') => boolean): { stop(): number } {
  let since: number | undefined;
  let longest = 0;
  const t = setInterval(() => {
    const now = Date.now();
    if (holds('a') && holds('b')) {
      since ??= now;
      longest = Math.max(longest, now - since);
    } else since = undefined;
  }, 20);
  return {
    stop: () => {
      clearInterval(t);
      return longest;
    },
  };
}
