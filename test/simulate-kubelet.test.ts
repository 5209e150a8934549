import { test } from 'node:test';
import assert from 'node:assert/strict';
import { garbageCollect, gcAmountToFree, KUBELET_DEFAULTS, pullBackoff, TokenBuckets, type GcCandidate } from '../src/simulate/kubelet.js';
import { imageLocalityPriority, imageLocalityScore, leastAllocatedScore, nodesToScore, scaledImageScore } from '../src/simulate/scheduler.js';

const MiB = 1024 * 1024;

test('kubelet GC: 100 GB capacity with 10 GB free is 90% >= 85, and frees 10 GB (down to 80%)', () => {
  assert.equal(gcAmountToFree(100e9, 10e9, 85, 80), 10e9);
  assert.equal(gcAmountToFree(100e9, 16e9, 85, 80), 0); // 84%: below the high threshold
  assert.equal(gcAmountToFree(100e9, 15e9, 85, 80), 5e9); // 85% is >= high
});

test('kubelet GC: usage truncates as Go int does (100 - int(available*100/capacity))', () => {
  // 15.9% available -> int(15.9) = 15 -> usage 85: collect.
  assert.equal(gcAmountToFree(1000, 159, 85, 80), 41);
});

const cand = (image: number, size: number, lastUsed: number, firstDetected: number): GcCandidate => ({ image, size, lastUsed, firstDetected });

test('kubelet GC: oldest lastUsed first, ties by earlier firstDetected; younger than minAge skipped; stops once the believed sizes reach the amount', () => {
  const removed: number[] = [];
  const d = garbageCollect(KUBELET_DEFAULTS, 1000, 0, [cand(1, 40, 500, 100), cand(2, 40, 300, 200), cand(3, 40, 300, 100), cand(4, 40, -Infinity, 950), cand(5, 40, 600, 100)], 1000, () => 100, (i) => {
    removed.push(i);
    return 10; // layers shared: little really leaves the disk
  });
  // amount = 1000*20/100 - 100 = 100; image 4 is younger than 2m; 3 (tie broken by firstDetected) then 2 then 1.
  assert.deepEqual(removed, [3, 2, 1]);
  assert.equal(d.believedFreed, 120);
  assert.equal(d.failed, false);
});

test('kubelet GC: the layer-aware what-if counts real bytes, so it goes on until the disk really is at the low threshold', () => {
  const removed: number[] = [];
  const d = garbageCollect(KUBELET_DEFAULTS, 1000, 0, [1, 2, 3, 4].map((i) => cand(i, 40, i, 0)), 1000, () => 100, (i) => (removed.push(i), 10), () => 10);
  assert.deepEqual(removed, [1, 2, 3, 4]);
  assert.equal(d.failed, true); // 40 really freed < 100
});

test('kubelet GC: imageMaximumGCAge removes images unused for longer, only once the kubelet has run that long', () => {
  const cfg = { ...KUBELET_DEFAULTS, imageMaximumGCAge: 3600 };
  const removed: number[] = [];
  garbageCollect(cfg, 3000, 0, [cand(1, 1, -Infinity, 0)], 1e9, () => 1e9, (i) => (removed.push(i), 1));
  assert.equal(removed.length, 0);
  garbageCollect(cfg, 4000, 0, [cand(1, 1, -Infinity, 0), cand(2, 1, 3000, 0)], 1e9, () => 1e9, (i) => (removed.push(i), 1));
  assert.deepEqual(removed, [1]);
});

test('ImageLocality: a 500 MiB image on 5 of 10 nodes, one container, scores 23', () => {
  assert.equal(scaledImageScore(500 * MiB, 5, 10), 250 * MiB);
  assert.equal(imageLocalityScore([{ size: 500 * MiB, numNodes: 5 }], 10), 23);
  assert.equal(imageLocalityPriority(10 * MiB, 1), 0); // below 23 MiB
  assert.equal(imageLocalityPriority(5000 * MiB, 1), 100); // clamped at 1000 MiB per container
  assert.equal(imageLocalityScore([{ size: 1000 * MiB, numNodes: 10 }, undefined], 10), 49); // 2 containers: (1000 - 23) / (2000 - 23) MiB
});

test('LeastAllocated and the adaptive percentageOfNodesToScore', () => {
  assert.equal(leastAllocatedScore(2000, 8000, 8e9, 32e9), 75);
  assert.equal(nodesToScore(50), 50);
  assert.equal(nodesToScore(1000), 420); // 50 - 1000/125 = 42%
  assert.equal(nodesToScore(5000), 500); // 50 - 40 = 10%
  assert.equal(nodesToScore(100000), 5000); // at least 5%
});

test('pull back-off doubles from 10 s and is capped at 300 s; the QPS bucket starts full at the burst', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(pullBackoff), [10, 20, 40, 80, 160, 300, 300]);
  const b = new TokenBuckets(1, 5, 10);
  const got = Array.from({ length: 11 }, () => b.tryAccept(0, 0));
  assert.deepEqual(got, [...Array(10).fill(true), false]);
  assert.equal(b.tryAccept(0, 0.2), true); // 0.2 s at 5 QPS: one token back
  assert.equal(b.tryAccept(0, 0.2), false);
});
