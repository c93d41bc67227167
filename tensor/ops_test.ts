// Values of the ops against hand-computed results and naive loops; shape and dtype errors.
import assert from "assert";
import "@mfm/backends/cpu";
import {
  arange,
  argmax,
  assertAllClose,
  broadcastTo,
  concat,
  conv2d,
  convTranspose2d,
  flip,
  greater,
  key,
  matmul,
  normal,
  pad,
  scatterAdd,
  slice,
  split,
  stack,
  take,
  type Tensor,
  tensor,
  transpose,
  where,
  zeros,
} from "@mfm/tensor";

const i32 = (v: number[]) => tensor(v, { dtype: "int32" });

Deno.test("broadcasting arithmetic follows NumPy", () => {
  const a = tensor([[1], [2], [3]]);
  const b = tensor([10, 20]);
  assert.deepEqual(a.add(b).toArray(), [[11, 21], [12, 22], [13, 23]]);
  assert.deepEqual(a.mul(2).sub(1).toArray(), [[1], [3], [5]]);
  assert.deepEqual(broadcastTo(tensor(5), [2]).toArray(), [5, 5]);
});

Deno.test("shape errors name both shapes", () => {
  assert.throws(() => tensor([1, 2, 3]).add(tensor([1, 2])), /\[3\] and \[2\]/);
  assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), /\[2,3\] @ \[4,5\]/);
  assert.throws(() => tensor([1]).add(tensor([1], { dtype: "float64" })), /float32 vs float64/);
  assert.throws(() => tensor([1, 2, 3]).reshape([2, 2]), /\[3\] into \[2,2\]/);
  assert.throws(() => concat([zeros([2, 3]), zeros([3, 3])], 1), /\[2,3\] and \[3,3\]/);
  assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  assert.throws(() => tensor([1], { dtype: "float16" as "float32" }), /float16/);
  assert.throws(() => tensor([1, 2]).sum(2), /axis 2 is out of range for rank 1/);
  assert.throws(() => tensor([1]).exp.call(i32([1])), /exp: expects a float tensor, got int32/);
});

Deno.test("reductions, transpose, slice, pad, concat, flip", () => {
  const x = arange(0, 6).reshape([2, 3]);
  assert.deepEqual(x.sum(0).toArray(), [3, 5, 7]);
  assert.deepEqual(x.sum(1, true).toArray(), [[3], [12]]);
  assert.deepEqual(x.max(1).toArray(), [2, 5]);
  assert.deepEqual(x.mean().item(), 2.5);
  assert.deepEqual(transpose(x).toArray(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(slice(arange(0, 10), [1], [8], [3]).toArray(), [1, 4, 7]);
  assert.deepEqual(pad(tensor([1, 2]), [[1, 2]], 9).toArray(), [9, 1, 2, 9, 9]);
  assert.deepEqual(concat([x, tensor([[9], [9]])], 1).toArray(), [[0, 1, 2, 9], [3, 4, 5, 9]]);
  assert.deepEqual(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(), [[1, 3], [2, 4]]);
  assert.deepEqual(flip(x, [1]).toArray(), [[2, 1, 0], [5, 4, 3]]);
});

Deno.test("take, scatterAdd, where, argmax", () => {
  const t = tensor([[1, 2], [3, 4], [5, 6]]);
  assert.deepEqual(take(t, i32([2, 0]), 0).toArray(), [[5, 6], [1, 2]]);
  assert.deepEqual(take(t, i32([1]), 1).toArray(), [[2], [4], [6]]);
  assert.deepEqual(scatterAdd(tensor([1, 1, 1]), i32([0, 0, 2]), 0, 4).toArray(), [2, 0, 1, 0]);
  assert.throws(() => take(t, i32([3]), 0).dataSync(), /index 3 is out of range \[0, 3\)/);
  const v = tensor([1, -1, 2]);
  assert.deepEqual(where(greater(v, 0), v, 0).toArray(), [1, 0, 2]);
  assert.deepEqual(argmax(tensor([[1, 3, 3], [7, 0, 2]]), -1).toArray(), [1, 0]);
});

function naiveConv(x: Tensor, w: Tensor, stride: number, padding: number): number[] {
  const [N, C, H, W] = x.shape;
  const [O, , KH, KW] = w.shape;
  const xd = x.dataSync();
  const wd = w.dataSync();
  const HO = Math.floor((H + 2 * padding - KH) / stride) + 1;
  const WO = Math.floor((W + 2 * padding - KW) / stride) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < HO; i++) {
        for (let j = 0; j < WO; j++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let a = 0; a < KH; a++) {
              for (let b = 0; b < KW; b++) {
                const h = i * stride + a - padding;
                const v = j * stride + b - padding;
                if (h >= 0 && h < H && v >= 0 && v < W) {
                  s += xd[((n * C + c) * H + h) * W + v] * wd[((o * C + c) * KH + a) * KW + b];
                }
              }
            }
          }
          out.push(s);
        }
      }
    }
  }
  return out;
}

Deno.test("conv2d matches a direct loop (stride, padding)", () => {
  const [a, b] = split(key(3));
  const x = normal(a, [2, 3, 7, 8], { dtype: "float64" });
  const w = normal(b, [4, 3, 3, 2], { dtype: "float64" });
  for (const [stride, padding] of [[1, 0], [2, 1], [3, 2]]) {
    assertAllClose(conv2d(x, w, { stride, padding }).dataSync(), naiveConv(x, w, stride, padding), {
      rtol: 1e-12,
    });
  }
  assert.deepEqual(conv2d(x, normal(b, [4, 3, 3, 3]).cast("float64"), { padding: "same" }).shape, [
    2,
    4,
    7,
    8,
  ]);
});

Deno.test("convTranspose2d matches scattering each input pixel (stride, crop, output padding, dilation)", () => {
  const [a, b, c] = split(key(4), 3);
  const x = normal(a, [2, 3, 4, 5], { dtype: "float64" });
  const w = normal(b, [3, 2, 3, 2], { dtype: "float64" });
  const bias = normal(c, [2], { dtype: "float64" });
  const cases: {
    s: [number, number];
    p: [[number, number], [number, number]];
    op: [number, number];
    d: [number, number];
  }[] = [
    { s: [1, 1], p: [[0, 0], [0, 0]], op: [0, 0], d: [1, 1] },
    { s: [2, 3], p: [[1, 0], [0, 2]], op: [1, 2], d: [1, 1] },
    // crops beyond the kernel (negative conv padding) and dilation
    { s: [2, 2], p: [[3, 4], [1, 1]], op: [0, 1], d: [2, 1] },
  ];
  const [xd, wd, bd] = [x.dataSync(), w.dataSync(), bias.dataSync()];
  for (const { s, p, op, d } of cases) {
    const y = convTranspose2d(x, w, {
      stride: s,
      padding: p,
      outputPadding: op,
      dilation: d,
      bias,
    });
    const HO = s[0] * 3 + d[0] * 2 + 1 - p[0][0] - p[0][1] + op[0];
    const WO = s[1] * 4 + d[1] * 1 + 1 - p[1][0] - p[1][1] + op[1];
    assert.deepEqual(y.shape, [2, 2, HO, WO]);
    const want = new Float64Array(2 * 2 * HO * WO);
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 2; o++) {
        for (let i = 0; i < HO * WO; i++) want[(n * 2 + o) * HO * WO + i] = bd[o];
        for (let ci = 0; ci < 3; ci++) {
          for (let i = 0; i < 4; i++) {
            for (let j = 0; j < 5; j++) {
              for (let ka = 0; ka < 3; ka++) {
                for (let kb = 0; kb < 2; kb++) {
                  const h = i * s[0] + ka * d[0] - p[0][0];
                  const v = j * s[1] + kb * d[1] - p[1][0];
                  if (h < 0 || h >= HO || v < 0 || v >= WO) continue;
                  want[((n * 2 + o) * HO + h) * WO + v] += xd[((n * 3 + ci) * 4 + i) * 5 + j] *
                    wd[((ci * 2 + o) * 3 + ka) * 2 + kb];
                }
              }
            }
          }
        }
      }
    }
    assertAllClose(
      y.dataSync(),
      want,
      { rtol: 1e-12, atol: 1e-12 },
      JSON.stringify({ s, p, op, d }),
    );
  }
  // it is conv2d's input gradient: ⟨conv2d(z, k), y⟩ = ⟨z, convTranspose2d(y, k)⟩
  const k = normal(c, [2, 3, 3, 3], { dtype: "float64" });
  const z = normal(a, [1, 3, 7, 9], { dtype: "float64" });
  const yy = normal(b, [1, 2, 4, 5], { dtype: "float64" });
  const lhs = conv2d(z, k, { stride: 2, padding: 1 }).mul(yy).sum().item();
  const rhs = z.mul(convTranspose2d(yy, k, { stride: 2, padding: 1 })).sum().item();
  assert.ok(Math.abs(lhs - rhs) < 1e-10 * (1 + Math.abs(lhs)), `${lhs} vs ${rhs}`);
  assert.throws(
    () => convTranspose2d(x, w, { stride: 2, outputPadding: 2 }),
    /outputPadding \[2,2\] must be below/,
  );
  assert.throws(() => convTranspose2d(x, k), /must be \[N, C, H, W\] and \[C, O, kh, kw\]/);
});

Deno.test("matmul: batching, broadcasting and 1-d operands", () => {
  const [a, b] = split(key(4));
  // 6 rows: one block of four plus a remainder in the cpu kernel
  const x = normal(a, [2, 6, 4], { dtype: "float64" });
  const y = normal(b, [4, 5], { dtype: "float64" });
  const xd = x.dataSync();
  const yd = y.dataSync();
  const want: number[] = [];
  for (let bi = 0; bi < 2; bi++) {
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let k = 0; k < 4; k++) s += xd[bi * 24 + i * 4 + k] * yd[k * 5 + j];
        want.push(s);
      }
    }
  }
  const z = matmul(x, y);
  assert.deepEqual(z.shape, [2, 6, 5]);
  assertAllClose(z.dataSync(), want, { rtol: 1e-12 });
  assert.deepEqual(matmul(tensor([1, 2]), tensor([[1, 0], [0, 1]])).toArray(), [1, 2]);
  assert.equal(matmul(tensor([1, 2]), tensor([3, 4])).item(), 11);
});

Deno.test("unknown options are rejected with the valid ones listed", () => {
  assert.throws(
    () => tensor([1], { dtyp: "float32" } as never),
    /tensor\(\): unknown option "dtyp"; valid options: dtype, shape, backend/,
  );
  assert.throws(
    () => conv2d(zeros([1, 1, 3, 3]), zeros([1, 1, 3, 3]), { strides: 2 } as never),
    /conv2d: unknown option "strides"/,
  );
  assert.throws(() => normal(key(0), [2], { sd: 2 } as never), /normal: unknown option "sd"/);
  assert.throws(() => normal(key(0), [2.5]), /normal: shape \[2.5\]/);
  assert.throws(
    () => normal(key(0), [2], { dtype: "int32" }),
    /dtype must be float32 or float64, got int32/,
  );
});
