// The weather and video contexts' plumbing against their simulators: encodings decode to the
// simulated truth, a persistence "model" scores exactly persistence's CRPS, and a steerable
// model's conditioned flow map at t = 0 is its one-step forecaster.
import assert from "assert";
import "@mfm/backends/cpu";
import { assertAllClose, full, key, normal, setBackend, sliceAxis, type Tensor } from "@mfm/tensor";
import { initMfmMlp, mfmMlpConfig, mfmMlpVelocity } from "@mfm/flowmaps";
import {
  AdvectionDiffusion,
  type ContextModel,
  contextModel,
  imageContextNetwork,
  trainContextMfm,
  videoProcessContext,
  weatherProblem,
  weatherProcessContext,
  weatherScenarios,
} from "@mfm/processes";

Deno.test("weather: the encoded target decodes to the simulated field", () => {
  setBackend("cpu");
  const w = new AdvectionDiffusion();
  const problem = weatherProblem(w, { delta: 0.5, maxLag: 2, oneFieldRate: 0.3 });
  const b = problem.sample(key(3), 32);
  const s = weatherScenarios(w, key(3), 32, { delta: 0.5, maxLag: 2, oneFieldRate: 0.3 });
  assertAllClose(problem.decode!(b.target, b.context).dataSync(), Float32Array.from(s.truth), {
    rtol: 1e-4,
    atol: 1e-4,
  });
  assert.deepEqual(b.context.shape, [32, 2 * 144 + 2]);
});

Deno.test("weather evaluation: a zero-increment model is persistence, to the last digit", () => {
  setBackend("cpu");
  const ctx = weatherProcessContext();
  const persistence: ContextModel = {
    steerable: false,
    sample: (eps: Tensor) => eps.mul(0),
    conditioned: () => {
      throw new Error("not steerable");
    },
  };
  const { metrics, pictures } = ctx.evaluate(persistence, { n: 320, seed: 0 });
  assert.ok(
    Math.abs(metrics.weather_crps - metrics.weather_crps_persistence) < 1e-6,
    `${metrics.weather_crps} vs ${metrics.weather_crps_persistence}`,
  );
  // the oracle beats persistence and climatology; its spread–skill is calibrated
  assert.ok(metrics.weather_crps_oracle < metrics.weather_crps_climatology);
  assert.ok(metrics.weather_crps_oracle < metrics.weather_crps_persistence);
  assert.equal(pictures!.weather_forecasts.rows.length, 4);
});

Deno.test("a steerable context model's conditioned flow map at t = 0 is its forecaster", () => {
  setBackend("cpu");
  const dim = 3;
  const cdim = 4;
  const net = mfmMlpConfig({
    dim,
    contextDim: dim + cdim + 1,
    hidden: 16,
    depth: 2,
    gateContext: false,
  });
  const model = contextModel(mfmMlpVelocity(net, initMfmMlp(key(0), net)), true);
  const context = normal(key(1), [1, cdim]);
  const eps = normal(key(2), [5, dim]);
  const one = model.sample(eps, full([5], 1.3), context.broadcastTo([5, cdim]));
  const mfm = model.conditioned(context, 1.3);
  const z = full([5], 0);
  const two = mfm.map(z, full([5], 1), eps, z, normal(key(3), [5, dim]));
  assertAllClose(two.dataSync(), one.dataSync(), { rtol: 1e-6, atol: 1e-6 });
  // and at t > 0 the flow's state matters
  const t = full([5], 0.5);
  const a = mfm.map(z, full([5], 1), eps, t, normal(key(3), [5, dim])).dataSync();
  const b = mfm.map(z, full([5], 1), eps, t, normal(key(4), [5, dim])).dataSync();
  assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-4));
  const plain = contextModel(mfmMlpVelocity(net, initMfmMlp(key(0), net)), false);
  assert.throws(() => plain.conditioned(context, 1), /not trained steerable/);
});

Deno.test("video: contexts hold the two observed frames and the lag; targets are frames", () => {
  setBackend("cpu");
  const ctx = videoProcessContext();
  const b = ctx.problem.sample(key(5), 6);
  assert.deepEqual(b.context.shape, [6, 801]);
  assert.deepEqual(b.target.shape, [6, 400]);
  const lag = sliceAxis(b.context, 1, 800, 801).dataSync();
  const tau = b.tau.dataSync();
  lag.forEach((l, i) => assert.ok(Math.abs(tau[i] - 0.5 - l) < 1e-6 && l >= 0 && l <= 2));
  const px = b.target.dataSync();
  assert.ok(px.every((v) => v >= -1 - 1e-6 && v <= 1 + 1e-6));
  // persistence "model": the frame at Δ, so its CRPS is persistence's
  const persistence: ContextModel = {
    steerable: false,
    sample: (_e: Tensor, _t: Tensor, c: Tensor) => sliceAxis(c, 1, 400, 800),
    conditioned: () => {
      throw new Error("not steerable");
    },
  };
  const { metrics } = ctx.evaluate(persistence, { n: 480, seed: 0 });
  assert.ok(Math.abs(metrics.video_crps - metrics.video_crps_persistence) < 1e-6);
  assert.ok(metrics.video_crps_oracle < metrics.video_crps_persistence);
});

Deno.test("image context network: frames as channels, scalars embedded, steerable packing, clear errors", () => {
  setBackend("cpu");
  const net = imageContextNetwork({ side: 8, frames: 2, channels: [8, 16] });
  const cfg = net.configure(64, 2 * 64 + 1, false);
  const p = net.init(key(0), cfg);
  const v = net.velocity(cfg, p);
  const n = 3;
  const y = v(
    full([n], 0),
    full([n], 1),
    normal(key(1), [n, 64]),
    full([n], 0.7),
    normal(key(2), [n, 129]),
  );
  assert.deepEqual(y.shape, [n, 64]);
  // steerable: the gated flow state leads the packing; the lag and τ trail as two scalars
  const s = net.configure(64, 64 + 2 * 64 + 1 + 1, true);
  assert.equal((s as unknown as { scalars: number }).scalars, 2);
  assert.throws(() => net.configure(63, 129, false), /state width 63 is not 8²/);
  assert.throws(() => net.configure(64, 100, false), /cannot hold 2 frames/);
});

Deno.test("trainContextMfm: bad batch settings fail before any work, naming the value", () => {
  setBackend("cpu");
  const problem = weatherProcessContext().problem;
  assert.throws(
    () => trainContextMfm(problem, { consistencyFraction: 2 }),
    /consistencyFraction 2 must be in \(0, 1\]/,
  );
  assert.throws(() => trainContextMfm(problem, { batch: 0 }), /batch 0 and steps 2000/);
});
