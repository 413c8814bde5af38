;; SIMD128 GEMM, one copy per dtype: scripts/embed-kernels.mjs substitutes the tokens and wraps both copies in
;; a module that imports its (shared) memory. Tokens: @D dtype name (f32, f64), @S scalar type, @V vector
;; shape (f32x4, f64x2), @E element bytes, @SPLAT the broadcast load, @NR columns per tile (two vectors).
;;
;; C[i, j] = Σ_q A(i, q)·B(q, j) for rows i0 ≤ i < i1 of a zero-padded C (row length nPad = n rounded up to
;; @NR, rows up to a multiple of 4), A(i, q) = a[i·ar + q·ac], B(q, j) = b[q·br + j·bc] (element strides, so
;; every transpose is the same call). Each output is one accumulator summed in order q = 0 … k−1 from 0, with
;; a multiply then an add (no FMA): float64 results are bit for bit the JS loop's, and no output depends on
;; which rows a thread was given (threads split rows, never a sum). Blocked GotoBLAS-style: B packed into
;; KC × @NR panels, A into KC × 4 panels of MC rows; a 4 × @NR tile of 8 vector accumulators (11 registers
;; with the operands, so V8 does not spill).

;; dst[panel][q][r] = A(i0 + 4·panel + r, pc + q), rows ≥ m as zeros.
(func $pack_a_@D (param $a i32) (param $ar i32) (param $ac i32) (param $m i32) (param $i0 i32) (param $mc i32)
  (param $pc i32) (param $kc i32) (param $dst i32)
  (local $i i32) (local $iend i32) (local $r i32) (local $q i32) (local $src i32) (local $row i32)
  (local.set $ar (i32.mul (local.get $ar) (i32.const @E)))
  (local.set $ac (i32.mul (local.get $ac) (i32.const @E)))
  (local.set $i (local.get $i0))
  (local.set $iend (i32.add (local.get $i0) (local.get $mc)))
  (block $done (loop $panels
    (br_if $done (i32.ge_u (local.get $i) (local.get $iend)))
    (local.set $r (i32.const 0))
    (loop $rows
      (local.set $row (i32.add (local.get $i) (local.get $r)))
      ;; element (row, pc) and the stride 4 between its packed copies
      (local.set $src (i32.add (local.get $a)
        (i32.add (i32.mul (local.get $row) (local.get $ar)) (i32.mul (local.get $pc) (local.get $ac)))))
      (local.set $q (i32.const 0))
      (if (i32.lt_u (local.get $row) (local.get $m))
        (then (loop $cols
          (@S.store (i32.add (local.get $dst) (i32.mul (i32.add (i32.shl (local.get $q) (i32.const 2)) (local.get $r)) (i32.const @E)))
            (@S.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (local.get $ac)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $cols (i32.lt_u (local.get $q) (local.get $kc)))))
        (else (loop $zeros
          (@S.store (i32.add (local.get $dst) (i32.mul (i32.add (i32.shl (local.get $q) (i32.const 2)) (local.get $r)) (i32.const @E)))
            (@S.const 0))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $zeros (i32.lt_u (local.get $q) (local.get $kc))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $r) (i32.const 4))))
    (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const @RA))))
    (local.set $i (i32.add (local.get $i) (i32.const 4)))
    (br $panels))))

;; dst[panel][q][c] = B(pc + q, @NR·panel + c), columns ≥ n as zeros, for every panel of the padded row.
(func $pack_b_@D (param $b i32) (param $br i32) (param $bc i32) (param $n i32) (param $pc i32) (param $kc i32)
  (param $dst i32)
  (local $j i32) (local $c i32) (local $q i32) (local $src i32) (local $col i32)
  (local.set $br (i32.mul (local.get $br) (i32.const @E)))
  (local.set $bc (i32.mul (local.get $bc) (i32.const @E)))
  (local.set $j (i32.const 0))
  (block $done (loop $panels
    (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
    (local.set $c (i32.const 0))
    (loop $colsOfPanel
      (local.set $col (i32.add (local.get $j) (local.get $c)))
      (local.set $src (i32.add (local.get $b)
        (i32.add (i32.mul (local.get $pc) (local.get $br)) (i32.mul (local.get $col) (local.get $bc)))))
      (local.set $q (i32.const 0))
      (if (i32.lt_u (local.get $col) (local.get $n))
        (then (loop $rows
          (@S.store (i32.add (local.get $dst) (i32.mul (i32.add (i32.mul (local.get $q) (i32.const @NR)) (local.get $c)) (i32.const @E)))
            (@S.load (local.get $src)))
          (local.set $src (i32.add (local.get $src) (local.get $br)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $rows (i32.lt_u (local.get $q) (local.get $kc)))))
        (else (loop $zeros
          (@S.store (i32.add (local.get $dst) (i32.mul (i32.add (i32.mul (local.get $q) (i32.const @NR)) (local.get $c)) (i32.const @E)))
            (@S.const 0))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $zeros (i32.lt_u (local.get $q) (local.get $kc))))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $colsOfPanel (i32.lt_u (local.get $c) (i32.const @NR))))
    (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $kc) (i32.const 32))))
    (local.set $j (i32.add (local.get $j) (i32.const @NR)))
    (br $panels))))

;; The 4 × @NR tile at c (row stride ldc bytes) = (first ? 0 : itself) + packed A panel · packed B panel.
(func $tile_@D (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $first i32)
  (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
  (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
  (local $b0 v128) (local $b1 v128) (local $x v128) (local $r1 i32) (local $r2 i32) (local $r3 i32)
  (local.set $r1 (i32.add (local.get $c) (local.get $ldc)))
  (local.set $r2 (i32.add (local.get $r1) (local.get $ldc)))
  (local.set $r3 (i32.add (local.get $r2) (local.get $ldc)))
  (if (i32.eqz (local.get $first)) (then
    (local.set $c00 (v128.load (local.get $c)))  (local.set $c01 (v128.load offset=16 (local.get $c)))
    (local.set $c10 (v128.load (local.get $r1))) (local.set $c11 (v128.load offset=16 (local.get $r1)))
    (local.set $c20 (v128.load (local.get $r2))) (local.set $c21 (v128.load offset=16 (local.get $r2)))
    (local.set $c30 (v128.load (local.get $r3))) (local.set $c31 (v128.load offset=16 (local.get $r3)))))
  (loop $q
    (local.set $b0 (v128.load (local.get $pb)))
    (local.set $b1 (v128.load offset=16 (local.get $pb)))
    (local.set $x (@SPLAT (local.get $pa)))
    (local.set $c00 (@V.add (local.get $c00) (@V.mul (local.get $x) (local.get $b0))))
    (local.set $c01 (@V.add (local.get $c01) (@V.mul (local.get $x) (local.get $b1))))
    (local.set $x (@SPLAT offset=@E (local.get $pa)))
    (local.set $c10 (@V.add (local.get $c10) (@V.mul (local.get $x) (local.get $b0))))
    (local.set $c11 (@V.add (local.get $c11) (@V.mul (local.get $x) (local.get $b1))))
    (local.set $x (@SPLAT offset=@E2 (local.get $pa)))
    (local.set $c20 (@V.add (local.get $c20) (@V.mul (local.get $x) (local.get $b0))))
    (local.set $c21 (@V.add (local.get $c21) (@V.mul (local.get $x) (local.get $b1))))
    (local.set $x (@SPLAT offset=@E3 (local.get $pa)))
    (local.set $c30 (@V.add (local.get $c30) (@V.mul (local.get $x) (local.get $b0))))
    (local.set $c31 (@V.add (local.get $c31) (@V.mul (local.get $x) (local.get $b1))))
    (local.set $pa (i32.add (local.get $pa) (i32.const @RA)))
    (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
    (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
    (br_if $q (local.get $kc)))
  (v128.store (local.get $c) (local.get $c00))  (v128.store offset=16 (local.get $c) (local.get $c01))
  (v128.store (local.get $r1) (local.get $c10)) (v128.store offset=16 (local.get $r1) (local.get $c11))
  (v128.store (local.get $r2) (local.get $c20)) (v128.store offset=16 (local.get $r2) (local.get $c21))
  (v128.store (local.get $r3) (local.get $c30)) (v128.store offset=16 (local.get $r3) (local.get $c31)))

;; Rows [i0, i1) (multiples of 4) of the padded C; pa and pb are this thread's packing scratch
;; (MC·KC and KC·nPad elements). k ≥ 1.
(func (export "gemm_@D") (param $a i32) (param $ar i32) (param $ac i32) (param $b i32) (param $br i32) (param $bc i32)
  (param $c i32) (param $m i32) (param $n i32) (param $k i32) (param $i0 i32) (param $i1 i32) (param $pa i32) (param $pb i32)
  (local $npad i32) (local $ldc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
  (local $jp i32) (local $ip i32)
  (local.set $npad (i32.and (i32.add (local.get $n) (i32.const @NRm1)) (i32.const -@NR)))
  (local.set $ldc (i32.mul (local.get $npad) (i32.const @E)))
  (local.set $pc (i32.const 0))
  (loop $kblocks
    (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
    (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
    (call $pack_b_@D (local.get $b) (local.get $br) (local.get $bc) (local.get $n) (local.get $pc) (local.get $kc) (local.get $pb))
    (local.set $ic (local.get $i0))
    (block $rowsDone (loop $rowblocks
      (br_if $rowsDone (i32.ge_u (local.get $ic) (local.get $i1)))
      (local.set $mc (i32.sub (local.get $i1) (local.get $ic)))
      (if (i32.gt_u (local.get $mc) (i32.const 128)) (then (local.set $mc (i32.const 128))))
      (call $pack_a_@D (local.get $a) (local.get $ar) (local.get $ac) (local.get $m) (local.get $ic) (local.get $mc)
        (local.get $pc) (local.get $kc) (local.get $pa))
      (local.set $jp (i32.const 0))
      (loop $colpanels
        (local.set $ip (i32.const 0))
        (loop $rowpanels
          (call $tile_@D
            (i32.add (local.get $pa) (i32.mul (i32.mul (local.get $ip) (local.get $kc)) (i32.const @E)))
            (i32.add (local.get $pb) (i32.mul (i32.mul (local.get $jp) (local.get $kc)) (i32.const @E)))
            (local.get $kc)
            (i32.add (local.get $c) (i32.mul (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ip)) (local.get $npad)) (local.get $jp)) (i32.const @E)))
            (local.get $ldc)
            (i32.eqz (local.get $pc)))
          (local.set $ip (i32.add (local.get $ip) (i32.const 4)))
          (br_if $rowpanels (i32.lt_u (local.get $ip) (local.get $mc))))
        (local.set $jp (i32.add (local.get $jp) (i32.const @NR)))
        (br_if $colpanels (i32.lt_u (local.get $jp) (local.get $npad))))
      (local.set $ic (i32.add (local.get $ic) (local.get $mc)))
      (br $rowblocks)))
    (local.set $pc (i32.add (local.get $pc) (local.get $kc)))
    (br_if $kblocks (i32.lt_u (local.get $pc) (local.get $k)))))

;; C[i, j] += bias[j] for rows [i0, i1) of the padded C (bias padded to nPad too): the bias after the sum.
(func (export "bias_@D") (param $c i32) (param $bias i32) (param $i0 i32) (param $i1 i32) (param $npad i32)
  (local $p i32) (local $end i32) (local $j i32) (local $ldc i32)
  (local.set $ldc (i32.mul (local.get $npad) (i32.const @E)))
  (local.set $p (i32.add (local.get $c) (i32.mul (local.get $i0) (local.get $ldc))))
  (local.set $end (i32.add (local.get $c) (i32.mul (local.get $i1) (local.get $ldc))))
  (block $done (loop $rows
    (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
    (local.set $j (i32.const 0))
    (loop $cols
      (v128.store (i32.add (local.get $p) (local.get $j))
        (@V.add (v128.load (i32.add (local.get $p) (local.get $j))) (v128.load (i32.add (local.get $bias) (local.get $j)))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br_if $cols (i32.lt_u (local.get $j) (local.get $ldc))))
    (local.set $p (i32.add (local.get $p) (local.get $ldc)))
    (br $rows))))

