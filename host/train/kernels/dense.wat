;; The trainer's mini-batch kernels in WebAssembly with 128-bit SIMD (f64x2): dense forward, weight gradient, delta, Adam.
;; Compiled by wabt into dense-wasm.ts (npm run build:kernels); host/train/kernels/reference.ts is the pure-JS twin that
;; performs the same float64 operations in the same order, so both give bit-identical results (tests/train/kernels.test.ts).
;; All pointers are byte offsets into the imported memory; matrices are row-major float64 (W is input-major: W[i][o]).
;; No fused multiply-add exists in this instruction set: every x * w is rounded, then added, exactly as in JavaScript.
(module
  (import "env" "memory" (memory 1))

  ;; out[o] = init[o] + sum_k val[k] * row_k[o] for o < nOut, k in order, where row_k starts at byte idx[k]; then, when
  ;; $relu is 1, out[o] < 0 ? 0 : out[o] (f64x2.pmax(a, 0) is exactly a < 0 ? 0 : a, so -0 and NaN pass as in JS).
  ;; Outputs in blocks of 8 (four f64x2 accumulators held in registers), then pairs, then one scalar.
  (func $accumulate (param $idx i32) (param $val i32) (param $n i32) (param $init i32) (param $out i32) (param $nOut i32) (param $relu i32)
    (local $o i32) (local $ob i32) (local $k i32) (local $p i32) (local $xv v128) (local $xs f64)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $s f64) (local $zero v128)
    (block $done8 (loop $blocks8
      (br_if $done8 (i32.gt_u (i32.add (local.get $o) (i32.const 8)) (local.get $nOut)))
      (local.set $ob (i32.shl (local.get $o) (i32.const 3)))
      (local.set $a0 (v128.load offset=0 (i32.add (local.get $init) (local.get $ob))))
      (local.set $a1 (v128.load offset=16 (i32.add (local.get $init) (local.get $ob))))
      (local.set $a2 (v128.load offset=32 (i32.add (local.get $init) (local.get $ob))))
      (local.set $a3 (v128.load offset=48 (i32.add (local.get $init) (local.get $ob))))
      (local.set $k (i32.const 0))
      ;; two list entries per turn (the same sums in the same order), then the odd one
      (block $kdone (loop $ks
        (br_if $kdone (i32.ge_u (i32.add (local.get $k) (i32.const 1)) (local.get $n)))
        (local.set $p (i32.add (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $ob)))
        (local.set $xv (f64x2.splat (f64.load (i32.add (local.get $val) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $xv) (v128.load offset=0 (local.get $p)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $xv) (v128.load offset=16 (local.get $p)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $xv) (v128.load offset=32 (local.get $p)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $xv) (v128.load offset=48 (local.get $p)))))
        (local.set $p (i32.add (i32.load offset=4 (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $ob)))
        (local.set $xv (f64x2.splat (f64.load offset=8 (i32.add (local.get $val) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $xv) (v128.load offset=0 (local.get $p)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $xv) (v128.load offset=16 (local.get $p)))))
        (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $xv) (v128.load offset=32 (local.get $p)))))
        (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $xv) (v128.load offset=48 (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 2)))
        (br $ks)))
      (if (i32.lt_u (local.get $k) (local.get $n))
        (then
          (local.set $p (i32.add (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $ob)))
          (local.set $xv (f64x2.splat (f64.load (i32.add (local.get $val) (i32.shl (local.get $k) (i32.const 3))))))
          (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $xv) (v128.load offset=0 (local.get $p)))))
          (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $xv) (v128.load offset=16 (local.get $p)))))
          (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $xv) (v128.load offset=32 (local.get $p)))))
          (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $xv) (v128.load offset=48 (local.get $p)))))))
      (if (local.get $relu)
        (then
          (local.set $a0 (f64x2.pmax (local.get $a0) (local.get $zero)))
          (local.set $a1 (f64x2.pmax (local.get $a1) (local.get $zero)))
          (local.set $a2 (f64x2.pmax (local.get $a2) (local.get $zero)))
          (local.set $a3 (f64x2.pmax (local.get $a3) (local.get $zero)))))
      (v128.store offset=0 (i32.add (local.get $out) (local.get $ob)) (local.get $a0))
      (v128.store offset=16 (i32.add (local.get $out) (local.get $ob)) (local.get $a1))
      (v128.store offset=32 (i32.add (local.get $out) (local.get $ob)) (local.get $a2))
      (v128.store offset=48 (i32.add (local.get $out) (local.get $ob)) (local.get $a3))
      (local.set $o (i32.add (local.get $o) (i32.const 8)))
      (br $blocks8)))
    (block $done2 (loop $blocks2
      (br_if $done2 (i32.gt_u (i32.add (local.get $o) (i32.const 2)) (local.get $nOut)))
      (local.set $ob (i32.shl (local.get $o) (i32.const 3)))
      (local.set $a0 (v128.load (i32.add (local.get $init) (local.get $ob))))
      (local.set $k (i32.const 0))
      (block $kdone (loop $ks
        (br_if $kdone (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $p (i32.add (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $ob)))
        (local.set $xv (f64x2.splat (f64.load (i32.add (local.get $val) (i32.shl (local.get $k) (i32.const 3))))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $xv) (v128.load (local.get $p)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $ks)))
      (if (local.get $relu) (then (local.set $a0 (f64x2.pmax (local.get $a0) (local.get $zero)))))
      (v128.store (i32.add (local.get $out) (local.get $ob)) (local.get $a0))
      (local.set $o (i32.add (local.get $o) (i32.const 2)))
      (br $blocks2)))
    (if (i32.lt_u (local.get $o) (local.get $nOut))
      (then
        (local.set $ob (i32.shl (local.get $o) (i32.const 3)))
        (local.set $s (f64.load (i32.add (local.get $init) (local.get $ob))))
        (local.set $k (i32.const 0))
        (block $kdone (loop $ks
          (br_if $kdone (i32.ge_u (local.get $k) (local.get $n)))
          (local.set $p (i32.add (i32.load (i32.add (local.get $idx) (i32.shl (local.get $k) (i32.const 2)))) (local.get $ob)))
          (local.set $xs (f64.load (i32.add (local.get $val) (i32.shl (local.get $k) (i32.const 3)))))
          (local.set $s (f64.add (local.get $s) (f64.mul (local.get $xs) (f64.load (local.get $p)))))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $ks)))
        (if (i32.and (local.get $relu) (f64.lt (local.get $s) (f64.const 0))) (then (local.set $s (f64.const 0))))
        (f64.store (i32.add (local.get $out) (local.get $ob)) (local.get $s)))))

  ;; Y[r][o] = b[o] + sum over i with X[r][i] != 0, in order, of X[r][i] * W[i][o]   (Y: rows x nOut, X: rows x nIn),
  ;; then relu when $relu is 1. The non-zero inputs of each row are listed first (branch-free), as byte offsets of their
  ;; weight rows.
  (func (export "dense_forward") (param $x i32) (param $w i32) (param $b i32) (param $y i32)
        (param $rows i32) (param $nIn i32) (param $nOut i32) (param $relu i32) (param $idx i32) (param $val i32)
    (local $r i32) (local $n i32) (local $v f64) (local $outBytes i32) (local $xp i32) (local $xend i32) (local $wp i32) (local $nz i32)
    (local.set $outBytes (i32.shl (local.get $nOut) (i32.const 3)))
    (local.set $xp (local.get $x))
    (block $rdone (loop $rs
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      ;; compaction by pointer bumps: xp walks the row, wp the weight rows, n counts the non-zero entries
      (local.set $xend (i32.add (local.get $xp) (i32.shl (local.get $nIn) (i32.const 3))))
      (local.set $wp (local.get $w))
      (local.set $n (i32.const 0))
      (block $idone (loop $is
        (br_if $idone (i32.ge_u (local.get $xp) (local.get $xend)))
        (local.set $v (f64.load (local.get $xp)))
        (i32.store (i32.add (local.get $idx) (i32.shl (local.get $n) (i32.const 2))) (local.get $wp))
        (f64.store (i32.add (local.get $val) (i32.shl (local.get $n) (i32.const 3))) (local.get $v))
        (local.set $n (i32.add (local.get $n) (f64.ne (local.get $v) (f64.const 0))))
        (local.set $xp (i32.add (local.get $xp) (i32.const 8)))
        (local.set $wp (i32.add (local.get $wp) (local.get $outBytes)))
        (br $is)))
      (call $accumulate (local.get $idx) (local.get $val) (local.get $n) (local.get $b)
        (i32.add (local.get $y) (i32.mul (local.get $r) (local.get $outBytes))) (local.get $nOut) (local.get $relu))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rs))))

  ;; G[i][o] = G[i][o] + X[r][i] * D[r][o], one sum per weight, over r in order with X[r][i] != 0   (G: nIn x nOut);
  ;; then the bias gradient GB[o] = GB[o] + D[r][o] over every r in order (as 1 * D[r][o], which is exact).
  (func (export "dense_grad") (param $x i32) (param $d i32) (param $g i32) (param $gb i32)
        (param $rows i32) (param $nIn i32) (param $nOut i32) (param $idx i32) (param $val i32)
    (local $r i32) (local $i i32) (local $n i32) (local $v f64) (local $outBytes i32) (local $grow i32)
    (local $inBytes i32) (local $xp i32) (local $xend i32) (local $dp i32)
    (local.set $outBytes (i32.shl (local.get $nOut) (i32.const 3)))
    (local.set $inBytes (i32.shl (local.get $nIn) (i32.const 3)))
    (block $idone (loop $is
      (br_if $idone (i32.ge_u (local.get $i) (local.get $nIn)))
      ;; compaction of column i by pointer bumps: xp walks down the column, dp over the delta rows
      (local.set $n (i32.const 0))
      (local.set $xp (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 3))))
      (local.set $xend (i32.add (local.get $xp) (i32.mul (local.get $rows) (local.get $inBytes))))
      (local.set $dp (local.get $d))
      (block $rdone (loop $rs
        (br_if $rdone (i32.ge_u (local.get $xp) (local.get $xend)))
        (local.set $v (f64.load (local.get $xp)))
        (i32.store (i32.add (local.get $idx) (i32.shl (local.get $n) (i32.const 2))) (local.get $dp))
        (f64.store (i32.add (local.get $val) (i32.shl (local.get $n) (i32.const 3))) (local.get $v))
        (local.set $n (i32.add (local.get $n) (f64.ne (local.get $v) (f64.const 0))))
        (local.set $xp (i32.add (local.get $xp) (local.get $inBytes)))
        (local.set $dp (i32.add (local.get $dp) (local.get $outBytes)))
        (br $rs)))
      (if (local.get $n)
        (then
          (local.set $grow (i32.add (local.get $g) (i32.mul (local.get $i) (local.get $outBytes))))
          (call $accumulate (local.get $idx) (local.get $val) (local.get $n) (local.get $grow) (local.get $grow) (local.get $nOut) (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $is)))
    (local.set $r (i32.const 0))
    (block $bdone (loop $bs
      (br_if $bdone (i32.ge_u (local.get $r) (local.get $rows)))
      (i32.store (i32.add (local.get $idx) (i32.shl (local.get $r) (i32.const 2)))
        (i32.add (local.get $d) (i32.mul (local.get $r) (local.get $outBytes))))
      (f64.store (i32.add (local.get $val) (i32.shl (local.get $r) (i32.const 3))) (f64.const 1))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $bs)))
    (call $accumulate (local.get $idx) (local.get $val) (local.get $rows) (local.get $gb) (local.get $gb) (local.get $nOut) (i32.const 0)))

  ;; P[r][i] = dz == 0 ? 0 : s * dz, where s = 0 + sum over o with D[r][o] != 0, in order, of D[r][o] * W[i][o], and dz is
  ;; the derivative of the previous layer's activation $act at its output a = A[r][i]: 0 linear: 1, 1 relu: a > 0 ? 1 : 0,
  ;; 2 sigmoid: a * (1 - a), 3 tanh: 1 - a * a. W is first transposed into $wt (nOut x nIn) so that each row of P is one
  ;; $accumulate over contiguous memory, like the forward pass.
  (func (export "dense_delta") (param $d i32) (param $w i32) (param $wt i32) (param $a i32) (param $p i32)
        (param $rows i32) (param $nIn i32) (param $nOut i32) (param $act i32) (param $idx i32) (param $val i32)
    (local $r i32) (local $i i32) (local $o i32) (local $n i32) (local $v f64) (local $dz f64) (local $av f64)
    (local $inBytes i32) (local $outBytes i32) (local $prow i32) (local $arow i32) (local $drow i32)
    (local.set $inBytes (i32.shl (local.get $nIn) (i32.const 3)))
    (local.set $outBytes (i32.shl (local.get $nOut) (i32.const 3)))
    ;; wt[o][i] = w[i][o]
    (block $tdone (loop $ts
      (br_if $tdone (i32.ge_u (local.get $i) (local.get $nIn)))
      (local.set $o (i32.const 0))
      (block $odone (loop $os
        (br_if $odone (i32.ge_u (local.get $o) (local.get $nOut)))
        (f64.store (i32.add (local.get $wt) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $nIn)) (local.get $i)) (i32.const 3)))
          (f64.load (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $nOut)) (local.get $o)) (i32.const 3)))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $os)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $ts)))
    (block $rdone (loop $rs
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $drow (i32.add (local.get $d) (i32.mul (local.get $r) (local.get $outBytes))))
      (local.set $prow (i32.add (local.get $p) (i32.mul (local.get $r) (local.get $inBytes))))
      (local.set $arow (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $inBytes))))
      ;; the non-zero deltas of this row, as byte offsets of their rows of wt
      (local.set $n (i32.const 0))
      (local.set $o (i32.const 0))
      (block $odone (loop $os
        (br_if $odone (i32.ge_u (local.get $o) (local.get $nOut)))
        (local.set $v (f64.load (i32.add (local.get $drow) (i32.shl (local.get $o) (i32.const 3)))))
        (i32.store (i32.add (local.get $idx) (i32.shl (local.get $n) (i32.const 2)))
          (i32.add (local.get $wt) (i32.mul (local.get $o) (local.get $inBytes))))
        (f64.store (i32.add (local.get $val) (i32.shl (local.get $n) (i32.const 3))) (local.get $v))
        (local.set $n (i32.add (local.get $n) (f64.ne (local.get $v) (f64.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $os)))
      (memory.fill (local.get $prow) (i32.const 0) (local.get $inBytes))
      (call $accumulate (local.get $idx) (local.get $val) (local.get $n) (local.get $prow) (local.get $prow) (local.get $nIn) (i32.const 0))
      (local.set $i (i32.const 0))
      (block $idone (loop $is
        (br_if $idone (i32.ge_u (local.get $i) (local.get $nIn)))
        (local.set $av (f64.load (i32.add (local.get $arow) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $dz (f64.const 1))
        (if (i32.eq (local.get $act) (i32.const 1))
          (then (local.set $dz (select (f64.const 1) (f64.const 0) (f64.gt (local.get $av) (f64.const 0))))))
        (if (i32.eq (local.get $act) (i32.const 2))
          (then (local.set $dz (f64.mul (local.get $av) (f64.sub (f64.const 1) (local.get $av))))))
        (if (i32.eq (local.get $act) (i32.const 3))
          (then (local.set $dz (f64.sub (f64.const 1) (f64.mul (local.get $av) (local.get $av))))))
        (f64.store (i32.add (local.get $prow) (i32.shl (local.get $i) (i32.const 3)))
          (select
            (f64.mul (f64.load (i32.add (local.get $prow) (i32.shl (local.get $i) (i32.const 3)))) (local.get $dz))
            (f64.const 0)
            (f64.ne (local.get $dz) (f64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $is)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rs))))

  ;; dst row r = src row rows[r] for r < n (rows: int32 row numbers), each row `width` float64s: a mini-batch's inputs.
  (func (export "gather") (param $src i32) (param $rows i32) (param $n i32) (param $width i32) (param $dst i32)
    (local $r i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $width) (i32.const 3)))
    (block $done (loop $rs
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (memory.copy
        (i32.add (local.get $dst) (i32.mul (local.get $r) (local.get $bytes)))
        (i32.add (local.get $src) (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 2)))) (local.get $bytes)))
        (local.get $bytes))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rs))))

  ;; Softmax's e^x: x = k ln2 + r (Cody-Waite: k ln2_hi is exact), e^r by its Taylor series to r^12 (Horner; |r| <= ln2/2,
  ;; so within about 2 ulp), times 2^k built from its bits. 0 for x <= -708 (where e^x is below 2^-1021), Infinity
  ;; above 709, NaN for NaN. kernels/reference.ts has the same function (kernelExp), operation for operation.
  ;;
  ;; Softmax of each of `rows` rows of n float64s at y, in place: m = the row's max (ignoring NaN), e_o = e^(y_o - m)
  ;; summed in order into s, y_o = e_o / s.
  (func (export "softmax") (param $y i32) (param $rows i32) (param $n i32)
    (local $r i32) (local $o i32) (local $row i32) (local $end i32) (local $m f64) (local $v f64) (local $s f64)
    (local $x f64) (local $k f64) (local $er f64) (local $p f64)
    (block $rdone (loop $rs
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $rows)))
      (local.set $row (i32.add (local.get $y) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 3))))
      (local.set $end (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 3))))
      (local.set $m (f64.const -inf))
      (local.set $o (local.get $row))
      (block $done (loop $os
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (f64.load (local.get $o)))
        (local.set $m (select (local.get $v) (local.get $m) (f64.gt (local.get $v) (local.get $m))))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $os)))
      (local.set $s (f64.const 0))
      (local.set $o (local.get $row))
      (block $done (loop $os
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        ;; v = e^x, x = y_o - m (inline, see above)
        (local.set $x (f64.sub (f64.load (local.get $o)) (local.get $m)))
        (local.set $v
          (if (result f64) (f64.le (local.get $x) (f64.const -708))
            (then (f64.const 0))
            (else
              (if (result f64) (f64.gt (local.get $x) (f64.const 709))
                (then (f64.const inf))
                (else
                (local.set $k (f64.floor (f64.add (f64.mul (local.get $x) (f64.const 1.4426950408889634)) (f64.const 0.5))))
                (local.set $er (f64.sub
                  (f64.sub (local.get $x) (f64.mul (local.get $k) (f64.const 0x1.62e42feep-1)))
                  (f64.mul (local.get $k) (f64.const 0x1.a39ef35793c76p-33))))
                (local.set $p (f64.const 2.0876756987868100e-9))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 2.5052108385441720e-8)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 2.7557319223985888e-7)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 2.7557319223985893e-6)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 2.4801587301587302e-5)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 1.9841269841269841e-4)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 1.3888888888888889e-3)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 8.3333333333333332e-3)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 4.1666666666666664e-2)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 1.6666666666666666e-1)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 0.5)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 1)))
                (local.set $p (f64.add (f64.mul (local.get $p) (local.get $er)) (f64.const 1)))
                (f64.mul (local.get $p)
                  (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (i32.trunc_sat_f64_s (local.get $k)) (i32.const 1023))) (i64.const 52)))))))))
          (f64.store (local.get $o) (local.get $v))
        (local.set $s (f64.add (local.get $s) (local.get $v)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $os)))
      (local.set $o (local.get $row))
      (block $done (loop $os
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f64.store (local.get $o) (f64.div (f64.load (local.get $o)) (local.get $s)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br $os)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rs))))

  ;; One Adam step over n parameters, after averaging the summed gradient and adding L2 decay on masked weights:
  ;;   g = G*inv + (l2*P)*mask;  M = b1*M + c1*g;  V = b2*V + (c2*g)*g;  P = P - (a*M) / (sqrt(V) + eps)
  ;; (c1 = 1 - b1, c2 = 1 - b2 and the bias-corrected step a are computed by the caller, in JavaScript).
  (func (export "adam") (param $pp i32) (param $gp i32) (param $mp i32) (param $vp i32) (param $kp i32) (param $n i32)
        (param $inv f64) (param $l2 f64) (param $a f64) (param $b1 f64) (param $c1 f64) (param $b2 f64) (param $c2 f64) (param $eps f64)
    (local $j i32) (local $jb i32) (local $g v128) (local $m v128) (local $v v128) (local $p v128)
    (local $vinv v128) (local $vl2 v128) (local $va v128) (local $vb1 v128) (local $vc1 v128) (local $vb2 v128) (local $vc2 v128) (local $veps v128)
    (local $gs f64) (local $ms f64) (local $vs f64) (local $ps f64)
    (local.set $vinv (f64x2.splat (local.get $inv)))
    (local.set $vl2 (f64x2.splat (local.get $l2)))
    (local.set $va (f64x2.splat (local.get $a)))
    (local.set $vb1 (f64x2.splat (local.get $b1)))
    (local.set $vc1 (f64x2.splat (local.get $c1)))
    (local.set $vb2 (f64x2.splat (local.get $b2)))
    (local.set $vc2 (f64x2.splat (local.get $c2)))
    (local.set $veps (f64x2.splat (local.get $eps)))
    (block $done (loop $js
      (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 2)) (local.get $n)))
      (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
      (local.set $p (v128.load (i32.add (local.get $pp) (local.get $jb))))
      (local.set $g (f64x2.add
        (f64x2.mul (v128.load (i32.add (local.get $gp) (local.get $jb))) (local.get $vinv))
        (f64x2.mul (f64x2.mul (local.get $vl2) (local.get $p)) (v128.load (i32.add (local.get $kp) (local.get $jb))))))
      (local.set $m (f64x2.add (f64x2.mul (local.get $vb1) (v128.load (i32.add (local.get $mp) (local.get $jb))))
        (f64x2.mul (local.get $vc1) (local.get $g))))
      (local.set $v (f64x2.add (f64x2.mul (local.get $vb2) (v128.load (i32.add (local.get $vp) (local.get $jb))))
        (f64x2.mul (f64x2.mul (local.get $vc2) (local.get $g)) (local.get $g))))
      (v128.store (i32.add (local.get $mp) (local.get $jb)) (local.get $m))
      (v128.store (i32.add (local.get $vp) (local.get $jb)) (local.get $v))
      (v128.store (i32.add (local.get $pp) (local.get $jb))
        (f64x2.sub (local.get $p)
          (f64x2.div (f64x2.mul (local.get $va) (local.get $m)) (f64x2.add (f64x2.sqrt (local.get $v)) (local.get $veps)))))
      (local.set $j (i32.add (local.get $j) (i32.const 2)))
      (br $js)))
    (if (i32.lt_u (local.get $j) (local.get $n))
      (then
        (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
        (local.set $ps (f64.load (i32.add (local.get $pp) (local.get $jb))))
        (local.set $gs (f64.add
          (f64.mul (f64.load (i32.add (local.get $gp) (local.get $jb))) (local.get $inv))
          (f64.mul (f64.mul (local.get $l2) (local.get $ps)) (f64.load (i32.add (local.get $kp) (local.get $jb))))))
        (local.set $ms (f64.add (f64.mul (local.get $b1) (f64.load (i32.add (local.get $mp) (local.get $jb))))
          (f64.mul (local.get $c1) (local.get $gs))))
        (local.set $vs (f64.add (f64.mul (local.get $b2) (f64.load (i32.add (local.get $vp) (local.get $jb))))
          (f64.mul (f64.mul (local.get $c2) (local.get $gs)) (local.get $gs))))
        (f64.store (i32.add (local.get $mp) (local.get $jb)) (local.get $ms))
        (f64.store (i32.add (local.get $vp) (local.get $jb)) (local.get $vs))
        (f64.store (i32.add (local.get $pp) (local.get $jb))
          (f64.sub (local.get $ps)
            (f64.div (f64.mul (local.get $a) (local.get $ms)) (f64.add (f64.sqrt (local.get $vs)) (local.get $eps))))))))
)
