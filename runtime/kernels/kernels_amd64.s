//go:build amd64 && !purego

#include "textflag.h"

// HSUM leaves the sum of the eight floats of y in the low float of x (the
// low half of y), using t as scratch.
#define HSUM(y, x, t) VEXTRACTF128 $1, y, t; VADDPS t, x, x; VHADDPS x, x, x; VHADDPS x, x, x

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   a+0(FP), SI
	MOVQ   b+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dot32:
	CMPQ        CX, $32
	JL          dot8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         dot32

dot8:
	CMPQ        CX, $8
	JL          dotsum
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot8

dotsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	HSUM(Y0, X0, X1)

dottail:
	TESTQ       CX, CX
	JE          dotdone
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dottail

dotdone:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func axpyAVX2(alpha float32, x, y *float32, n int)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX

axpy16:
	CMPQ        CX, $16
	JL          axpy8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy16

axpy8:
	CMPQ        CX, $8
	JL          axpytail
	VMOVUPS     (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy8

axpytail:
	TESTQ       CX, CX
	JE          axpydone
	VMOVSS      (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpytail

axpydone:
	VZEROUPPER
	RET

// func axpbyAVX2(a float32, y *float32, b float32, x *float32, n int)
TEXT ·axpbyAVX2(SB), NOSPLIT, $0-40
	VBROADCASTSS a+0(FP), Y0
	MOVQ         y+8(FP), DI
	VBROADCASTSS b+16(FP), Y1
	MOVQ         x+24(FP), SI
	MOVQ         n+32(FP), CX

axpby8:
	CMPQ        CX, $8
	JL          axpbytail
	VMULPS      (DI), Y0, Y2
	VFMADD231PS (SI), Y1, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpby8

axpbytail:
	TESTQ       CX, CX
	JE          axpbydone
	VMULSS      (DI), X0, X2
	VFMADD231SS (SI), X1, X2
	VMOVSS      X2, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpbytail

axpbydone:
	VZEROUPPER
	RET

// func matVec4AVX2(y, w *float32, ws int, x *float32, n int)
// y[r] = Σ_i w[r*ws+i]·x[i] for r = 0..3: four rows share each load of x,
// and two accumulators per row keep eight FMA chains in flight.
TEXT ·matVec4AVX2(SB), NOSPLIT, $0-40
	MOVQ   y+0(FP), DX
	MOVQ   w+8(FP), SI
	MOVQ   ws+16(FP), BX
	MOVQ   x+24(FP), DI
	MOVQ   n+32(FP), CX
	SHLQ   $2, BX
	LEAQ   (SI)(BX*1), R8
	LEAQ   (R8)(BX*1), R9
	LEAQ   (R9)(BX*1), R10
	XORQ   AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8

mv16:
	CMPQ        CX, $16
	JL          mv8
	VMOVUPS     (DI)(AX*1), Y4
	VMOVUPS     32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R8)(AX*1), Y4, Y1
	VFMADD231PS (R9)(AX*1), Y4, Y2
	VFMADD231PS (R10)(AX*1), Y4, Y3
	VFMADD231PS 32(SI)(AX*1), Y9, Y5
	VFMADD231PS 32(R8)(AX*1), Y9, Y6
	VFMADD231PS 32(R9)(AX*1), Y9, Y7
	VFMADD231PS 32(R10)(AX*1), Y9, Y8
	ADDQ        $64, AX
	SUBQ        $16, CX
	JMP         mv16

mv8:
	CMPQ        CX, $8
	JL          mvsum
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R8)(AX*1), Y4, Y1
	VFMADD231PS (R9)(AX*1), Y4, Y2
	VFMADD231PS (R10)(AX*1), Y4, Y3
	ADDQ        $32, AX
	SUBQ        $8, CX

mvsum:
	VADDPS       Y5, Y0, Y0
	VADDPS       Y6, Y1, Y1
	VADDPS       Y7, Y2, Y2
	VADDPS       Y8, Y3, Y3
	HSUM(Y0, X0, X4)
	HSUM(Y1, X1, X4)
	HSUM(Y2, X2, X4)
	HSUM(Y3, X3, X4)

mvtail:
	TESTQ       CX, CX
	JE          mvstore
	VMOVSS      (DI)(AX*1), X4
	VFMADD231SS (SI)(AX*1), X4, X0
	VFMADD231SS (R8)(AX*1), X4, X1
	VFMADD231SS (R9)(AX*1), X4, X2
	VFMADD231SS (R10)(AX*1), X4, X3
	ADDQ        $4, AX
	DECQ        CX
	JMP         mvtail

mvstore:
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	VZEROUPPER
	RET

// func matMul3x4AVX2(y *float32, ys int, w *float32, x *float32, xs int, n int)
// y[t*ys+r] = Σ_i w[r*n+i]·x[t*xs+i] for t = 0..2, r = 0..3: three tokens
// share each load of four weight rows, twelve FMA chains in flight.
TEXT ·matMul3x4AVX2(SB), NOSPLIT, $0-48
	MOVQ   y+0(FP), DX
	MOVQ   ys+8(FP), BX
	SHLQ   $2, BX
	MOVQ   w+16(FP), SI
	MOVQ   x+24(FP), DI
	MOVQ   xs+32(FP), R11
	SHLQ   $2, R11
	MOVQ   n+40(FP), CX
	MOVQ   CX, R13
	SHLQ   $2, R13
	LEAQ   (SI)(R13*1), R8
	LEAQ   (R8)(R13*1), R9
	LEAQ   (R9)(R13*1), R10
	LEAQ   (DI)(R11*1), R12
	LEAQ   (R12)(R11*1), R13
	XORQ   AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

mm8:
	CMPQ        CX, $8
	JL          mmsum
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     (R12)(AX*1), Y13
	VMOVUPS     (R13)(AX*1), Y14
	VMOVUPS     (SI)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y0
	VFMADD231PS Y15, Y13, Y4
	VFMADD231PS Y15, Y14, Y8
	VMOVUPS     (R8)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y1
	VFMADD231PS Y15, Y13, Y5
	VFMADD231PS Y15, Y14, Y9
	VMOVUPS     (R9)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y2
	VFMADD231PS Y15, Y13, Y6
	VFMADD231PS Y15, Y14, Y10
	VMOVUPS     (R10)(AX*1), Y15
	VFMADD231PS Y15, Y12, Y3
	VFMADD231PS Y15, Y13, Y7
	VFMADD231PS Y15, Y14, Y11
	ADDQ        $32, AX
	SUBQ        $8, CX
	JMP         mm8

mmsum:
	HSUM(Y0, X0, X12)
	HSUM(Y1, X1, X12)
	HSUM(Y2, X2, X12)
	HSUM(Y3, X3, X12)
	HSUM(Y4, X4, X12)
	HSUM(Y5, X5, X12)
	HSUM(Y6, X6, X12)
	HSUM(Y7, X7, X12)
	HSUM(Y8, X8, X12)
	HSUM(Y9, X9, X12)
	HSUM(Y10, X10, X12)
	HSUM(Y11, X11, X12)

mmtail:
	TESTQ       CX, CX
	JE          mmstore
	VMOVSS      (DI)(AX*1), X12
	VMOVSS      (R12)(AX*1), X13
	VMOVSS      (R13)(AX*1), X14
	VMOVSS      (SI)(AX*1), X15
	VFMADD231SS X15, X12, X0
	VFMADD231SS X15, X13, X4
	VFMADD231SS X15, X14, X8
	VMOVSS      (R8)(AX*1), X15
	VFMADD231SS X15, X12, X1
	VFMADD231SS X15, X13, X5
	VFMADD231SS X15, X14, X9
	VMOVSS      (R9)(AX*1), X15
	VFMADD231SS X15, X12, X2
	VFMADD231SS X15, X13, X6
	VFMADD231SS X15, X14, X10
	VMOVSS      (R10)(AX*1), X15
	VFMADD231SS X15, X12, X3
	VFMADD231SS X15, X13, X7
	VFMADD231SS X15, X14, X11
	ADDQ        $4, AX
	DECQ        CX
	JMP         mmtail

mmstore:
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	ADDQ   BX, DX
	VMOVSS X4, (DX)
	VMOVSS X5, 4(DX)
	VMOVSS X6, 8(DX)
	VMOVSS X7, 12(DX)
	ADDQ   BX, DX
	VMOVSS X8, (DX)
	VMOVSS X9, 4(DX)
	VMOVSS X10, 8(DX)
	VMOVSS X11, 12(DX)
	VZEROUPPER
	RET

// func rankOneReadAVX2(c *float32, fa float32, b, v, qv, h *float32, dk, dv int)
// Per row a: c[a,:] = fa·c[a,:] + b[a]·v (as axpbyAVX2), then
// h += qv[a]·c[a,:] (as axpyAVX2), element by element in the same ops.
TEXT ·rankOneReadAVX2(SB), NOSPLIT, $0-64
	MOVQ         c+0(FP), DI
	VBROADCASTSS fa+8(FP), Y0
	MOVQ         b+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         qv+32(FP), R10
	MOVQ         h+40(FP), R11
	MOVQ         dk+48(FP), R12
	MOVQ         dv+56(FP), R13

r1row:
	VBROADCASTSS (R8), Y1
	VBROADCASTSS (R10), Y2
	MOVQ         R13, CX
	XORQ         AX, AX

r1v8:
	CMPQ        CX, $8
	JL          r1tail
	VMULPS      (DI)(AX*1), Y0, Y3
	VFMADD231PS (R9)(AX*1), Y1, Y3
	VMOVUPS     Y3, (DI)(AX*1)
	VMOVUPS     (R11)(AX*1), Y4
	VFMADD231PS Y3, Y2, Y4
	VMOVUPS     Y4, (R11)(AX*1)
	ADDQ        $32, AX
	SUBQ        $8, CX
	JMP         r1v8

r1tail:
	TESTQ       CX, CX
	JE          r1next
	VMULSS      (DI)(AX*1), X0, X3
	VFMADD231SS (R9)(AX*1), X1, X3
	VMOVSS      X3, (DI)(AX*1)
	VMOVSS      (R11)(AX*1), X4
	VFMADD231SS X3, X2, X4
	VMOVSS      X4, (R11)(AX*1)
	ADDQ        $4, AX
	DECQ        CX
	JMP         r1tail

r1next:
	ADDQ $4, R8
	ADDQ $4, R10
	ADDQ AX, DI
	DECQ R12
	JNE  r1row
	VZEROUPPER
	RET

// func matVecRowsAVX2(y, w *float32, rows int, x *float32, n int)
// matVec4AVX2 over rows/4 consecutive quads of rows (rows a multiple of 4,
// row stride n) in one call: the same sums in the same order.
TEXT ·matVecRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), R12
	MOVQ x+24(FP), DI
	MOVQ n+32(FP), R13
	MOVQ R13, BX
	SHLQ $2, BX

vquad:
	CMPQ   R12, $4
	JL     vdone
	LEAQ   (SI)(BX*1), R8
	LEAQ   (R8)(BX*1), R9
	LEAQ   (R9)(BX*1), R10
	MOVQ   R13, CX
	XORQ   AX, AX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8

v16:
	CMPQ        CX, $16
	JL          v8
	VMOVUPS     (DI)(AX*1), Y4
	VMOVUPS     32(DI)(AX*1), Y9
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R8)(AX*1), Y4, Y1
	VFMADD231PS (R9)(AX*1), Y4, Y2
	VFMADD231PS (R10)(AX*1), Y4, Y3
	VFMADD231PS 32(SI)(AX*1), Y9, Y5
	VFMADD231PS 32(R8)(AX*1), Y9, Y6
	VFMADD231PS 32(R9)(AX*1), Y9, Y7
	VFMADD231PS 32(R10)(AX*1), Y9, Y8
	ADDQ        $64, AX
	SUBQ        $16, CX
	JMP         v16

v8:
	CMPQ        CX, $8
	JL          vsum
	VMOVUPS     (DI)(AX*1), Y4
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS (R8)(AX*1), Y4, Y1
	VFMADD231PS (R9)(AX*1), Y4, Y2
	VFMADD231PS (R10)(AX*1), Y4, Y3
	ADDQ        $32, AX
	SUBQ        $8, CX

vsum:
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y1, Y1
	VADDPS Y7, Y2, Y2
	VADDPS Y8, Y3, Y3
	HSUM(Y0, X0, X4)
	HSUM(Y1, X1, X4)
	HSUM(Y2, X2, X4)
	HSUM(Y3, X3, X4)

vtail:
	TESTQ       CX, CX
	JE          vstore
	VMOVSS      (DI)(AX*1), X4
	VFMADD231SS (SI)(AX*1), X4, X0
	VFMADD231SS (R8)(AX*1), X4, X1
	VFMADD231SS (R9)(AX*1), X4, X2
	VFMADD231SS (R10)(AX*1), X4, X3
	ADDQ        $4, AX
	DECQ        CX
	JMP         vtail

vstore:
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	ADDQ   $16, DX
	LEAQ   (R10)(BX*1), SI
	SUBQ   $4, R12
	JMP    vquad

vdone:
	VZEROUPPER
	RET
