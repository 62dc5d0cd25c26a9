import { describe, expect, it } from 'vitest';
import { FlowControl } from '../../src/sources/flow-control.js';

describe('FlowControl', () => {
  it('is full at its limit and calls the drain listeners when a frame is done', () => {
    const flow = new FlowControl(2);
    let drained = 0;
    flow.onDrain(() => drained++);
    flow.add();
    expect(flow.full).toBe(false);
    flow.add();
    expect(flow.full).toBe(true);
    flow.done();
    expect(flow.full).toBe(false);
    expect(drained).toBe(1);
  });

  it('lets more frames wait while something is being made, resumes a paused source, and tightens again after', async () => {
    const flow = new FlowControl(2);
    let drained = 0;
    flow.onDrain(() => drained++);
    flow.add();
    flow.add();
    expect(flow.full).toBe(true);
    let finish!: () => void;
    const mask = new Promise<void>((resolve) => (finish = resolve));
    flow.allowMore(3, mask);
    // The paused decoder is told it may go on.
    expect(drained).toBe(1);
    flow.add();
    flow.add();
    expect(flow.full).toBe(false);
    flow.add();
    expect(flow.full).toBe(true);
    finish();
    await mask;
    await Promise.resolve();
    // Five in flight against the limit of two again: full until three are done.
    expect(flow.pending).toBe(5);
    flow.done(3);
    expect(flow.full).toBe(true);
    flow.done();
    expect(flow.full).toBe(false);
  });

  it('tightens again when what it waited for fails', async () => {
    const flow = new FlowControl(1);
    const failed = Promise.reject(new Error('no mask'));
    flow.allowMore(4, failed);
    flow.add();
    expect(flow.full).toBe(false);
    await failed.catch(() => undefined);
    await Promise.resolve();
    expect(flow.full).toBe(true);
  });
});
