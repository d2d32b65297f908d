// batch_matmul: C[z] = op(A[z]) op(B[z]) for each of BATCH products, op transposing where TRANS_A /
// TRANS_B say (A stored [K, M], B stored [N, K]). Each invocation computes a 4x4 block of one C, with
// z the third workgroup dimension; reads past an edge are clamped inside the matrix and their
// products never stored.
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: u32;
override TRANS_B: u32;

fn a_at(base: u32, i: u32, p: u32) -> f32 {
  let row = min(i, M - 1u);
  if (TRANS_A == 1u) { return a[base + p * M + row]; }
  return a[base + row * K + p];
}

fn b_at(base: u32, p: u32, j: u32) -> f32 {
  let col = min(j, N - 1u);
  if (TRANS_B == 1u) { return b[base + col * K + p]; }
  return b[base + p * N + col];
}

fn store(base: u32, i: u32, j0: u32, v: vec4<f32>) {
  if (i >= M) { return; }
  for (var s = 0u; s < 4u; s++) {
    if (j0 + s < N) { c[base + i * N + j0 + s] = v[s]; }
  }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j0 = gid.x * 4u;
  let i0 = gid.y * 4u;
  if (i0 >= M || j0 >= N) { return; }
  let z = gid.z;
  let a_base = z * M * K;
  let b_base = z * K * N;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var p = 0u; p < K; p++) {
    let bv = vec4<f32>(b_at(b_base, p, j0), b_at(b_base, p, j0 + 1u), b_at(b_base, p, j0 + 2u), b_at(b_base, p, j0 + 3u));
    acc0 += a_at(a_base, i0, p) * bv;
    acc1 += a_at(a_base, i0 + 1u, p) * bv;
    acc2 += a_at(a_base, i0 + 2u, p) * bv;
    acc3 += a_at(a_base, i0 + 3u, p) * bv;
  }
  let c_base = z * M * N;
  store(c_base, i0, j0, acc0);
  store(c_base, i0 + 1u, j0, acc1);
  store(c_base, i0 + 2u, j0, acc2);
  store(c_base, i0 + 3u, j0, acc3);
}
