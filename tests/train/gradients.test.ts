// Backprop checked two ways on random networks: against central differences, and against TensorFlow.js autodiff.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import type { Activation, Task } from '../../host/core/model.js';
import { Network } from '../../host/train/network.js';
import type { LossName } from '../../host/train/network.js';
import { Rng } from '../../host/train/rng.js';

interface Case {
  readonly name: string;
  readonly sizes: number[];
  readonly acts: Activation[];
  readonly loss: LossName;
  readonly task: Task;
}

const CASES: readonly Case[] = [
  { name: 'tanh + softmax, cross-entropy', sizes: [5, 7, 4], acts: ['tanh', 'softmax'], loss: 'cross-entropy', task: 'classification' },
  { name: 'relu 2 hidden + softmax', sizes: [6, 8, 5, 3], acts: ['relu', 'relu', 'softmax'], loss: 'cross-entropy', task: 'classification' },
  { name: 'sigmoid + sigmoid, binary cross-entropy', sizes: [3, 4, 1], acts: ['sigmoid', 'sigmoid'], loss: 'cross-entropy', task: 'binary' },
  { name: 'sigmoid + sigmoid, mse (the 3-4-1 net)', sizes: [3, 4, 1], acts: ['sigmoid', 'sigmoid'], loss: 'mse', task: 'binary' },
  { name: 'tanh + linear, mse regression', sizes: [4, 6, 1], acts: ['tanh', 'linear'], loss: 'mse', task: 'regression' },
  { name: 'relu + linear, binary hinge', sizes: [2, 3, 1], acts: ['relu', 'linear'], loss: 'hinge', task: 'binary' },
  { name: 'tanh + linear, multi-class hinge', sizes: [4, 5, 3], acts: ['tanh', 'linear'], loss: 'hinge', task: 'classification' },
  { name: 'sigmoid one-vs-all, mse', sizes: [4, 5, 3], acts: ['sigmoid', 'sigmoid'], loss: 'mse', task: 'classification' },
  { name: 'no hidden layer, softmax', sizes: [5, 3], acts: ['softmax'], loss: 'cross-entropy', task: 'classification' },
];

interface Batch {
  readonly x: number[][];
  readonly t: number[];
}

function makeCase(c: Case, seed: number): { net: Network; batch: Batch } {
  const rng = new Rng(seed);
  const net = new Network(c.sizes, c.acts, c.loss);
  net.initialize(rng, 'xavier');
  for (let i = 0; i < net.params.length; i++) net.params[i] = net.params[i]! + 0.3 * rng.normal(); // non-zero biases too
  const nOut = c.sizes[c.sizes.length - 1]!;
  const x = Array.from({ length: 6 }, () => Array.from({ length: c.sizes[0]! }, () => rng.normal()));
  const t = x.map(() => (c.task === 'regression' ? rng.normal() : c.task === 'binary' ? rng.int(2) : rng.int(nOut)));
  return { net, batch: { x, t } };
}

/** Mean loss over the batch and (in net.grad) its gradient, by our backprop. */
function ours(net: Network, batch: Batch, task: Task): number {
  net.grad.fill(0);
  let loss = 0;
  batch.x.forEach((row, s) => {
    net.a[0]!.set(row);
    net.forward();
    loss += net.outputLoss(batch.t[s]!, task);
    net.backward();
  });
  for (let i = 0; i < net.grad.length; i++) net.grad[i] = net.grad[i]! / batch.x.length;
  return loss / batch.x.length;
}

function lossOnly(net: Network, batch: Batch, task: Task): number {
  let loss = 0;
  batch.x.forEach((row, s) => {
    net.a[0]!.set(row);
    net.forward();
    loss += net.outputLoss(batch.t[s]!, task);
  });
  return loss / batch.x.length;
}

describe('gradients against central differences (float64: |error| < 1e-7 + 1e-5 x magnitude)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      for (const seed of [1, 2, 3]) {
        const { net, batch } = makeCase(c, seed);
        ours(net, batch, c.task);
        const g = Float64Array.from(net.grad);
        const h = 1e-6;
        for (let i = 0; i < net.params.length; i++) {
          const p = net.params[i]!;
          net.params[i] = p + h;
          const up = lossOnly(net, batch, c.task);
          net.params[i] = p - h;
          const down = lossOnly(net, batch, c.task);
          net.params[i] = p;
          const numeric = (up - down) / (2 * h);
          const err = Math.abs(numeric - g[i]!);
          expect(err, `param ${i}: backprop ${g[i]} numeric ${numeric}`).toBeLessThan(1e-7 + 1e-5 * (Math.abs(numeric) + Math.abs(g[i]!)));
        }
      }
    });
  }
});

function act(a: Activation, z: tf.Tensor2D): tf.Tensor2D {
  switch (a) {
    case 'linear':
      return z;
    case 'relu':
      return tf.relu(z);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'tanh':
      return tf.tanh(z);
    case 'softmax':
      return tf.softmax(z);
  }
}

/** The same loss written with TensorFlow.js ops; W stored [in, out] like ours. */
function tfLoss(c: Case, batch: Batch, weights: tf.Tensor[]): tf.Scalar {
  let h: tf.Tensor2D = tf.tensor2d(batch.x);
  const L = c.sizes.length - 1;
  for (let k = 0; k < L; k++) h = act(c.acts[k]!, tf.add(tf.matMul(h, weights[2 * k] as tf.Tensor2D), weights[2 * k + 1]!) as tf.Tensor2D);
  const n = batch.x.length;
  const nOut = c.sizes[L]!;
  const oneHot = tf.tensor2d(batch.t.map((t) => Array.from({ length: nOut }, (_v, o) => (o === t ? 1 : 0))));
  switch (c.loss) {
    case 'cross-entropy':
      if (c.task === 'binary') {
        const t = tf.tensor2d(batch.t, [n, 1]);
        return tf.neg(tf.mean(tf.sum(tf.add(tf.mul(t, tf.log(h)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, h)))), 1)));
      }
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(h)), 1)));
    case 'mse': {
      const lo = c.acts[L - 1] === 'sigmoid' ? 0 : -1;
      const t = c.task === 'regression' ? tf.tensor2d(batch.t, [n, 1]) : c.task === 'binary' ? tf.tensor2d(batch.t.map((v) => (v === 1 ? 1 : lo)), [n, 1]) : tf.add(tf.mul(oneHot, 1 - lo), lo);
      return tf.mean(tf.mean(tf.square(tf.sub(h, t)), 1));
    }
    case 'hinge': {
      if (c.task === 'binary') {
        const t = tf.tensor2d(batch.t.map((v) => (v === 1 ? 1 : -1)), [n, 1]);
        return tf.mean(tf.relu(tf.sub(1, tf.mul(t, h))));
      }
      const correct = tf.sum(tf.mul(h, oneHot), 1, true);
      const margins = tf.mul(tf.relu(tf.add(tf.sub(h, correct), 1)), tf.sub(1, oneHot));
      return tf.mean(tf.sum(margins, 1));
    }
  }
}

describe('gradients against TensorFlow.js autodiff (float32, relative error < 2e-3)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  for (const c of CASES) {
    it(c.name, () => {
      for (const seed of [11, 12]) {
        const { net, batch } = makeCase(c, seed);
        const loss = ours(net, batch, c.task);
        const tensors: tf.Tensor[] = [];
        for (let k = 0; k < c.sizes.length - 1; k++) {
          tensors.push(tf.tensor2d(Array.from(net.params.slice(net.wOff[k]!, net.bOff[k]!)), [c.sizes[k]!, c.sizes[k + 1]!]));
          tensors.push(tf.tensor1d(Array.from(net.params.slice(net.bOff[k]!, net.bOff[k]! + c.sizes[k + 1]!))));
        }
        const { value, grads } = tf.valueAndGrads((...ws: tf.Tensor[]) => tfLoss(c, batch, ws))(tensors);
        expect(Math.abs(value.dataSync()[0]! - loss) / Math.max(1e-3, loss)).toBeLessThan(1e-4);
        let i = 0;
        for (let k = 0; k < c.sizes.length - 1; k++) {
          for (const gt of [grads[2 * k]!, grads[2 * k + 1]!]) {
            const tg = gt.dataSync();
            const off = gt.rank === 2 ? net.wOff[k]! : net.bOff[k]!;
            tg.forEach((v, j) => {
              const mine = net.grad[off + j]!;
              const err = Math.abs(v - mine) / Math.max(1e-3, Math.abs(v) + Math.abs(mine));
              expect(err, `layer ${k} ${gt.rank === 2 ? 'weight' : 'bias'} ${j}: ours ${mine} tfjs ${v}`).toBeLessThan(2e-3);
              i++;
            });
          }
        }
        expect(i).toBe(net.params.length);
        tf.dispose([...tensors, value, ...grads]);
      }
    });
  }
});
