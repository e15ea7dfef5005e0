// Billiards (DiffTaichi) written with Rose's API, for benchmarks/rose_apps.py.
// Reads one JSON object on stdin: {steps, x, v, goal, target, repeats, iters, lr}
// (x, v: the board, ball 0 the cue). Prints one JSON object: trace, compile and first-call times, the loss
// and the gradient in the cue ball's position and velocity at the given board, the time of
// each gradient call, and (iters > 0) the loss curve of gradient descent on the cue.
// Structure as in the Rose paper's port: collidePair and step are Rose functions, the steps
// are unrolled in JS into one function that calls step once per step.
import { readFileSync } from "node:fs";

const t0 = performance.now();
const R = await import("rose");
const { Real, Vec, add, and, compile, div, fn, lt, mul, select, sqrt, sub, vec, vjp } = R;
const tImport = performance.now() - t0;

const cfg = JSON.parse(readFileSync(0, "utf8"));
const N = cfg.x.length;
const STEPS = cfg.steps;
const RADIUS = 0.03, ELASTICITY = 0.8, DT = 0.003;

const t1 = performance.now();
const Vec2 = Vec(2, Real);
const Board = Vec(N, Vec2);
const plus = fn([Vec2, Vec2], Vec2, (a, b) => vec(2, Real, (i) => add(a[i], b[i])));
const minus = fn([Vec2, Vec2], Vec2, (a, b) => vec(2, Real, (i) => sub(a[i], b[i])));
const scale = fn([Real, Vec2], Vec2, (s, a) => vec(2, Real, (i) => mul(s, a[i])));
const dot = fn([Vec2, Vec2], Real, (a, b) => add(mul(a[0], b[0]), mul(a[1], b[1])));
const norm = fn([Vec2], Real, (a) => sqrt(dot(a, a)));
const min = fn([Real, Real], Real, (a, b) => select(lt(a, b), Real, a, b));

const collidePair = fn([Vec2, Vec2, Vec2, Vec2], { dx: Vec2, imp: Vec2 }, (x1, x2, v1, v2) => {
  const dist = minus(plus(x1, scale(DT, v1)), plus(x2, scale(DT, v2)));
  const dn = norm(dist);
  const dir = scale(div(1, add(1e-6, dn)), dist);
  const pv = dot(dir, minus(v1, v2));
  const hit = and(lt(dn, 2 * RADIUS), lt(pv, 0));
  const imp = select(hit, Vec2, scale(mul(-(1 + ELASTICITY) * 0.5, pv), dir), [0, 0]);
  const toi = div(sub(dn, 2 * RADIUS), min(-1e-3, pv));
  const dx = select(hit, Vec2, scale(min(sub(toi, DT), 0), imp), [0, 0]);
  return { dx, imp };
});

const step = fn([Board, Board], { x: Board, v: Board }, (x, v) => {
  const xs = [], vs = [];
  for (let i = 0; i < N; i++) {
    let dx = [0, 0], imp = [0, 0];
    for (let j = 0; j < N; j++) {
      if (i === j) continue;
      const c = collidePair(x[i], x[j], v[i], v[j]);
      dx = plus(dx, c.dx);
      imp = plus(imp, c.imp);
    }
    const vi = plus(v[i], imp);
    vs.push(vi);
    xs.push(plus(plus(x[i], dx), scale(DT, vi)));
  }
  return { x: xs, v: vs };
});

const simulate = fn([Board, Board], Board, (x0, v0) => {
  let x = x0, v = v0;
  for (let t = 0; t < STEPS; t++) ({ x, v } = step(x, v));
  return x;
});

const Args = { x: Board, v: Board, goal: Vec2 };
const loss = fn([Args], Real, ({ x, v, goal }) => {
  const d = minus(simulate(x, v)[cfg.target], goal);
  return dot(d, d);
});
const tTrace = performance.now() - t1;

const t2 = performance.now();
const lossGrad = fn([Args], { loss: Real, gx: Vec2, gv: Vec2 }, (a) => {
  const r = vjp(loss)(a);
  const g = r.grad(1);
  return { loss: r.ret, gx: g.x[0], gv: g.v[0] };
});
const compiled = await compile(lossGrad);
const tCompile = performance.now() - t2;

const board = (cue) => {
  const x = cfg.x.map((p) => [...p]), v = cfg.v.map((p) => [...p]);
  x[0] = [cue[0], cue[1]];
  v[0] = [cue[2], cue[3]];
  return { x, v, goal: cfg.goal };
};
const cue0 = [cfg.x[0][0], cfg.x[0][1], cfg.v[0][0], cfg.v[0][1]];
const t3 = performance.now();
const first = compiled(board(cue0));
const tFirst = performance.now() - t3;
const times = [];
for (let k = 0; k < cfg.repeats; k++) {
  const s = performance.now();
  compiled(board(cue0));
  times.push(performance.now() - s);
}
const curve = [];
let cue = [...cue0];
for (let k = 0; k < (cfg.iters ?? 0); k++) {
  const r = compiled(board(cue));
  curve.push(r.loss);
  const g = [...r.gx, ...r.gv];
  cue = cue.map((c, i) => c - cfg.lr * g[i]);
}
console.log(JSON.stringify({
  import_ms: tImport, trace_ms: tTrace, compile_ms: tCompile, first_ms: tFirst,
  loss: first.loss, grad: [...first.gx, ...first.gv], times_ms: times, curve,
}));
