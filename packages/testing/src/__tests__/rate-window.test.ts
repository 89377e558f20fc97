import { formatResetDuration } from '../index';
import { RateWindow } from '../simulator/rate-window';

it("formats OpenAI's reset durations", () => {
  expect(formatResetDuration(0)).toBe('0ms');
  expect(formatResetDuration(250)).toBe('250ms');
  expect(formatResetDuration(999.2)).toBe('1s');
  expect(formatResetDuration(1000)).toBe('1s');
  expect(formatResetDuration(1500)).toBe('1.5s');
  expect(formatResetDuration(60_000)).toBe('1m0s');
  expect(formatResetDuration(90_000)).toBe('1m30s');
  expect(formatResetDuration(3_723_000)).toBe('1h2m3s');
});

describe('RateWindow (on a fake clock)', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 1000;
  });

  it('slides: a slot frees exactly when the oldest admission leaves', () => {
    const window = new RateWindow({ requests: 2, windowMs: 1000 }, clock);
    expect(window.tryAdmit(0).admitted).toBe(true);
    now = 1300;
    expect(window.tryAdmit(0)).toMatchObject({ admitted: true, headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '700ms' } });
    now = 1500;
    expect(window.tryAdmit(0)).toMatchObject({ admitted: false, limit: 'requests', retryAfterMs: 500 });
    now = 1999;
    expect(window.tryAdmit(0)).toMatchObject({ admitted: false, retryAfterMs: 1 });
    now = 2000;
    expect(window.tryAdmit(0).admitted).toBe(true);
    now = 2100;
    expect(window.tryAdmit(0)).toMatchObject({ admitted: false, retryAfterMs: 200 }); // the 1300 one leaves at 2300
  });

  it('counts tokens and waits until enough of them leave', () => {
    const window = new RateWindow({ tokens: 100, windowMs: 1000 }, clock);
    expect(window.tryAdmit(60).admitted).toBe(true);
    now = 1200;
    expect(window.tryAdmit(30)).toMatchObject({ admitted: true, headers: { 'x-ratelimit-remaining-tokens': '10' } });
    now = 1400;
    expect(window.tryAdmit(50)).toMatchObject({ admitted: false, limit: 'tokens', retryAfterMs: 600 });
    const never = window.tryAdmit(150);
    expect(never).toMatchObject({ admitted: false, limit: 'tokens' });
    expect(never.admitted === false && never.retryAfterMs).toBeUndefined();
  });
});
