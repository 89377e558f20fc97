/**
 * Keeping entries this consumer holds from looking abandoned. `XAUTOCLAIM`
 * hands an entry to another consumer once it has been idle for `claimIdleMs`;
 * an entry still being predicted here must not qualify, so the source resets
 * its idle time (`XCLAIM … JUSTID` to itself) while it holds it. Only entries
 * still pending on this consumer are touched: one already taken over (this
 * process stalled) or acked stays where it is, and is reported back.
 */
import { defineScript, type CommandParser } from '@redis/client';

export const TOUCH = defineScript({
  NUMBER_OF_KEYS: 1,
  SCRIPT: `
local lost = {}
for i = 3, #ARGV do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if pending[1] and pending[1][2] == ARGV[2] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
  else
    table.insert(lost, ARGV[i])
  end
end
return lost
`,
  parseCommand(parser: CommandParser, stream: string, group: string, consumer: string, ids: readonly string[]) {
    parser.pushKey(stream);
    parser.push(group, consumer, ...ids);
  },
  /** The ids no longer pending on this consumer. */
  transformReply(reply: unknown): string[] {
    return (reply as unknown[]).map(String);
  },
});

export const STREAM_SCRIPTS = { touch: TOUCH };
