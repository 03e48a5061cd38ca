// Parameter updates: plain SGD, SGD with momentum, and Adam, all in place over one Float64Array.

export const OPTIMIZERS = ['sgd', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface Optimizer {
  /** Apply one step from the (already averaged, decayed) gradient. */
  step(params: Float64Array, grad: Float64Array): void;
}

/** Adam's constants (those of scikit-learn and Keras); Network.adamStep() uses them too. */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** Momentum 0.9 and Adam with ADAM's constants. */
export function createOptimizer(name: OptimizerName, size: number, lr: number): Optimizer {
  switch (name) {
    case 'sgd':
      return {
        step(p, g) {
          for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) - lr * (g[i] as number);
        },
      };
    case 'momentum': {
      const v = new Float64Array(size);
      const mu = 0.9;
      return {
        step(p, g) {
          for (let i = 0; i < p.length; i++) {
            const vi = mu * (v[i] as number) - lr * (g[i] as number);
            v[i] = vi;
            p[i] = (p[i] as number) + vi;
          }
        },
      };
    }
    case 'adam': {
      const m = new Float64Array(size);
      const v = new Float64Array(size);
      const { beta1: b1, beta2: b2, eps } = ADAM;
      let t = 0;
      return {
        step(p, g) {
          t++;
          const a = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
          for (let i = 0; i < p.length; i++) {
            const gi = g[i] as number;
            const mi = b1 * (m[i] as number) + (1 - b1) * gi;
            const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = (p[i] as number) - (a * mi) / (Math.sqrt(vi) + eps);
          }
        },
      };
    }
  }
}
