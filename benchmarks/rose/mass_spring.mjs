// Mass-spring robot with a neural-network controller (DiffTaichi) written with Rose's API, for
// benchmarks/rose_apps.py. Reads one JSON object on stdin: {steps, robot: {x, a, b, length,
// stiffness, actuation}, params: {w1, b1, w2, b2}, goal, repeats}. Prints one JSON object:
// trace, compile and first-call times, the loss (minus the head mass's x after `steps` steps) and its gradient
// in the network's parameters, and the time of each gradient call.
// Structure as in the Rose paper's port: the controller's two layers, the spring forces, the
// ground contact and the step are Rose functions; the steps are unrolled in JS into one
// function that calls step once per step; sin and tanh are opaque functions with JVPs.
import { readFileSync } from "node:fs";

const t0 = performance.now();
const R = await import("rose");
const { Dual, Real, Vec, add, and, compile, div, fn, lt, mul, neg, opaque, select, sqrt, sub,
  vec, vjp } = R;
const tImport = performance.now() - t0;

const cfg = JSON.parse(readFileSync(0, "utf8"));
const rb = cfg.robot;
const NO = rb.x.length, NS = rb.a.length, NH = cfg.params.b1.length, NSIN = 10;
const NIN = NSIN + 4 * NO + 2;
const STEPS = cfg.steps;
const GROUND = 0.1, GRAVITY = -4.8, OMEGA = 10, DAMPING = 15, DT = 0.004;
const GOAL = cfg.goal;

const t1 = performance.now();
const sin = opaque([Real], Real, Math.sin);
const cos = opaque([Real], Real, Math.cos);
sin.jvp = fn([Dual], Dual, ({ re: x, du: dx }) => ({ re: sin(x), du: mul(dx, cos(x)) }));
cos.jvp = fn([Dual], Dual, ({ re: x, du: dx }) => ({ re: cos(x), du: mul(dx, neg(sin(x))) }));
const tanh = opaque([Real], Real, Math.tanh);
tanh.jvp = fn([Dual], Dual, ({ re: x, du: dx }) => {
  const y = tanh(x);
  return { re: y, du: mul(dx, sub(1, mul(y, y))) };
});

const Vec2 = Vec(2, Real);
const Masses = Vec(NO, Vec2);
const Hidden = Vec(NH, Real), Act = Vec(NS, Real);
const W1 = Vec(NH, Vec(NIN, Real)), W2 = Vec(NS, Vec(NH, Real));
const plus = fn([Vec2, Vec2], Vec2, (a, b) => vec(2, Real, (i) => add(a[i], b[i])));
const minus = fn([Vec2, Vec2], Vec2, (a, b) => vec(2, Real, (i) => sub(a[i], b[i])));
const scale = fn([Real, Vec2], Vec2, (s, a) => vec(2, Real, (i) => mul(s, a[i])));
const norm = fn([Vec2], Real, (a) => sqrt(add(mul(a[0], a[0]), mul(a[1], a[1]))));

const center = fn([Masses], Vec2, (x) => {
  let s = [0, 0];
  for (let i = 0; i < NO; i++) s = plus(s, x[i]);
  return scale(1 / NO, s);
});

const layer1 = fn([Real, Masses, Masses, Vec2, W1, Hidden], Hidden, (t, x, v, c, w1, b1) =>
  vec(NH, Real, (i) => {
    let h = b1[i];
    for (let j = 0; j < NSIN; j++)
      h = add(h, mul(w1[i][j], sin(add(mul(t, OMEGA * DT), (2 * Math.PI * j) / NSIN))));
    for (let j = 0; j < NO; j++) {
      const off = minus(x[j], c);
      const k = NSIN + 4 * j;
      h = add(h, mul(mul(w1[i][k], off[0]), 0.05));
      h = add(h, mul(mul(w1[i][k + 1], off[1]), 0.05));
      h = add(h, mul(mul(w1[i][k + 2], v[j][0]), 0.05));
      h = add(h, mul(mul(w1[i][k + 3], v[j][1]), 0.05));
    }
    h = add(h, mul(w1[i][NIN - 2], sub(GOAL[0], c[0])));
    h = add(h, mul(w1[i][NIN - 1], sub(GOAL[1], c[1])));
    return tanh(h);
  }));

const layer2 = fn([W2, Hidden, Act], Act, (w2, h, b2) => {
  const out = [];
  for (let i = 0; i < NS; i++) {
    let a = b2[i];
    for (let j = 0; j < NH; j++) a = add(a, mul(w2[i][j], h[j]));
    out.push(tanh(a));
  }
  return out;
});

const springs = fn([Masses, Act], Masses, (x, act) => {
  const dv = [];
  for (let i = 0; i < NO; i++) dv.push([0, 0]);
  for (let s = 0; s < NS; s++) {
    const a = rb.a[s], b = rb.b[s];
    const d = minus(x[a], x[b]);
    const len = add(norm(d), 1e-4);
    const target = mul(rb.length[s], add(1, mul(act[s], rb.actuation[s])));
    const imp = scale(div(mul(DT * rb.stiffness[s], sub(len, target)), len), d);
    dv[a] = minus(dv[a], imp);
    dv[b] = plus(dv[b], imp);
  }
  return dv;
});

const damp = Math.exp(-DT * DAMPING);
const advance = fn([Masses, Masses, Masses], { x: Masses, v: Masses }, (x, v, dv) => {
  const xs = [], vs = [];
  for (let i = 0; i < NO; i++) {
    const v1 = plus(plus(scale(damp, v[i]), [0, DT * GRAVITY]), dv[i]);
    const hit = and(lt(add(x[i][1], mul(DT, v1[1])), GROUND), lt(v1[1], -1e-4));
    const toi = select(hit, Real, div(neg(sub(x[i][1], GROUND)), v1[1]), 0);
    const v2 = select(hit, Vec2, [0, 0], v1);
    vs.push(v2);
    xs.push(plus(plus(x[i], scale(toi, v1)), scale(sub(DT, toi), v2)));
  }
  return { x: xs, v: vs };
});

const step = fn([Real, Masses, Masses, W1, Hidden, W2, Act], { x: Masses, v: Masses },
  (t, x, v, w1, b1, w2, b2) => {
    const h = layer1(t, x, v, center(x), w1, b1);
    return advance(x, v, springs(x, layer2(w2, h, b2)));
  });

const Params = { w1: W1, b1: Hidden, w2: W2, b2: Act };
const loss = fn([Params], Real, ({ w1, b1, w2, b2 }) => {
  let x = rb.x, v = rb.x.map(() => [0, 0]);
  for (let t = 0; t < STEPS; t++) ({ x, v } = step(t, x, v, w1, b1, w2, b2));
  return neg(x[0][0]);
});
const tTrace = performance.now() - t1;

const t2 = performance.now();
const lossGrad = fn([Params], { loss: Real, g: Params }, (p) => {
  const r = vjp(loss)(p);
  return { loss: r.ret, g: r.grad(1) };
});
const compiled = await compile(lossGrad);
const tCompile = performance.now() - t2;

const t3 = performance.now();
const first = compiled(cfg.params);
const tFirst = performance.now() - t3;
const times = [];
for (let k = 0; k < cfg.repeats; k++) {
  const s = performance.now();
  compiled(cfg.params);
  times.push(performance.now() - s);
}
console.log(JSON.stringify({
  import_ms: tImport, trace_ms: tTrace, compile_ms: tCompile, first_ms: tFirst, loss: first.loss,
  grad: first.g, times_ms: times,
}));
