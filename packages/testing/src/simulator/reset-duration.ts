/**
 * OpenAI's duration format for `x-ratelimit-reset-*` headers.
 *
 * @example
 * formatResetDuration(250);   // → '250ms'
 * formatResetDuration(1000);  // → '1s'
 * formatResetDuration(1500);  // → '1.5s'
 * formatResetDuration(90000); // → '1m30s'
 */
export function formatResetDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = (whole % 60_000) / 1000;
  return `${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${Number(seconds.toFixed(3))}s`;
}
