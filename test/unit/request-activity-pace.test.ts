import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type PaceClock, yieldingPace } from '../../src/jobs/request-activity.js';

/** A clock the test moves: `work` advances it, and the pace's sleeps are recorded (and advance it too). */
function testClock(): PaceClock & { work(ms: number): void; readonly sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    work: (ms) => { now += ms; },
    sleep: async (ms) => { sleeps.push(ms); now += ms; },
  };
}

describe('a pace for work that yields to requests from within', () => {
  it('never sleeps while the node is not busy', async () => {
    const clock = testClock();
    const pace = yieldingPace(() => false, 0.1, clock);
    for (let step = 0; step < 10; step++) {
      clock.work(25);
      await pace();
    }
    assert.deepEqual(clock.sleeps, []);
  });

  it('after each slice of work while busy, sleeps so that the work takes its share of the time', async () => {
    const clock = testClock();
    let busy = true;
    const pace = yieldingPace(() => busy, 0.1, clock);
    clock.work(10);
    await pace();
    assert.deepEqual(clock.sleeps, [], 'less than a slice (20 ms) of work: no check yet');
    clock.work(20);
    await pace();
    assert.deepEqual(clock.sleeps, [270], '30 ms of work at a share of a tenth: nine times as long asleep');
    clock.work(40);
    busy = false;
    await pace();
    assert.deepEqual(clock.sleeps, [270], 'the burst is over: the work runs freely again');
    busy = true;
    clock.work(1_000);
    await pace();
    assert.deepEqual(clock.sleeps, [270, 2_000], 'a long step sleeps at most 2 s, so the scan keeps moving');
  });
});
