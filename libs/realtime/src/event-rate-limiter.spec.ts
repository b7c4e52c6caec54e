import { EventRateLimiter } from './event-rate-limiter.js';

describe('EventRateLimiter', () => {
  it('passes the budget, refuses the next events, flags abuse, and starts over with the next window', () => {
    const limiter = new EventRateLimiter(3, 5, 1000);
    const verdicts = Array.from({ length: 6 }, () => limiter.hit(100));
    expect(verdicts).toEqual(['ok', 'ok', 'ok', 'limited', 'limited', 'abusive']);
    expect(limiter.hit(1099)).toBe('abusive');
    expect(limiter.hit(1100)).toBe('ok');
  });
});
