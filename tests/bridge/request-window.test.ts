// The request window alone: no timers, the time passed in.
import { describe, expect, it } from 'vitest';
import { RequestWindow, ZOMBIE_TIMEOUTS } from '../../host/bridge/request-window.js';
import { ReadyClassifier, BOOT_ECHO_MS, QUERY_ECHO_MS, splitGluedReady } from '../../host/bridge/ready-line.js';

const row = (name: string) => ({ name, done: false });

describe('RequestWindow', () => {
  it('times requests out at their deadline, keeps their slots, and gives them back after the zombie timeouts', () => {
    const w = new RequestWindow<ReturnType<typeof row>>(100);
    const a = row('a');
    const b = row('b');
    w.add(1, a, 0);
    w.add(2, b, 50);
    expect(w.nextDeadline()).toBe(100);
    expect(w.expire(99)).toEqual([]);
    expect(w.expire(100)).toEqual([a]);
    expect(w.size).toBe(2); // a's request still holds its slot
    expect(w.hasLive()).toBe(true);
    expect(w.expire(150)).toEqual([b]);
    expect(w.hasLive()).toBe(false);
    expect(w.nextDeadline()).toBe(100 + ZOMBIE_TIMEOUTS * 100);
    w.expire(100 + ZOMBIE_TIMEOUTS * 100);
    expect(w.size).toBe(1);
    w.expire(150 + ZOMBIE_TIMEOUTS * 100);
    expect(w.size).toBe(0);
    expect(w.nextDeadline()).toBeUndefined();
  });

  it('an answer drops the requests sent before it (lost) and finishes its own row', () => {
    const w = new RequestWindow<ReturnType<typeof row>>(100);
    const [a, b, c] = [row('a'), row('b'), row('c')];
    w.add(1, a, 0);
    w.add(2, b, 0);
    w.add(3, c, 0);
    expect(w.settle(2, 10, true)).toEqual({ lost: [a], row: b, late: false });
    expect(w.size).toBe(1);
    expect(w.has(3)).toBe(true);
  });

  it('a late answer still finishes its row, and the row\'s newer request becomes the spare', () => {
    const w = new RequestWindow<ReturnType<typeof row>>(100);
    const a = row('a');
    w.add(1, a, 0);
    expect(w.expire(100)).toEqual([a]);
    w.add(2, a, 100); // sent again
    expect(w.settle(1, 120, true)).toEqual({ lost: [], row: a, late: true });
    expect(w.hasLive()).toBe(false); // request 2 holds its slot only
    expect(w.size).toBe(1);
    // A board error for a timed-out request finishes nothing.
    const b = row('b');
    w.add(3, b, 120);
    w.expire(220);
    expect(w.settle(3, 230, false).row).toBeUndefined();
  });

  it('clear() empties it and hands back the rows still waiting, in send order', () => {
    const w = new RequestWindow<ReturnType<typeof row>>(100);
    const [a, b] = [row('a'), row('b')];
    w.add(5, a, 0);
    w.add(6, b, 0);
    w.expire(100);
    const c = row('c');
    w.add(7, c, 100);
    expect(w.clear()).toEqual([c]);
    expect(w.size).toBe(0);
  });
});

describe('ReadyClassifier', () => {
  it('the first ready line, then echoes of our ? within their time, then resets', () => {
    const k = new ReadyClassifier();
    k.queried(0, false); // a ? before the first ready line
    expect(k.classify(1000, true)).toBe('first');
    expect(k.classify(1000 + BOOT_ECHO_MS - 1, false)).toBe('echo'); // the boot ? answered late
    expect(k.classify(1000 + BOOT_ECHO_MS, false)).toBe('reset');
    k.queried(5000, true);
    expect(k.classify(5000 + QUERY_ECHO_MS, false)).toBe('reset'); // too late to be its answer
    k.queried(20_000, true);
    expect(k.classify(20_001, false)).toBe('echo');
    expect(k.classify(20_002, false)).toBe('reset'); // one answer per ?
  });

  it('splits a ready line glued to the half line before it', () => {
    expect(splitGluedReady('=1f:3f80#READY proto=1')).toEqual(['=1f:3f80', '#READY proto=1']);
    expect(splitGluedReady('#READY proto=1')).toEqual(['#READY proto=1']);
  });
});
