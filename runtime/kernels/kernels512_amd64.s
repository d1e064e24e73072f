//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of the 4-row products, used where the CPU has
// AVX512F: the same structure as the AVX2 ones with sixteen lanes and
// 32-value steps, so the quantised kernels again round exactly as the
// float32 one does on the dequantised matrix.

// HSUM16 leaves the sum of the sixteen floats of z in the low float of x
// (the low quarter of z, y its low half), using t (a Y register) and tx
// (its X half) as scratch.
#define HSUM16(z, y, x, t, tx) VEXTRACTF64X4 $1, z, t; VADDPS t, y, y; VEXTRACTF128 $1, y, tx; VADDPS tx, x, x; VHADDPS x, x, x; VHADDPS x, x, x

// func matVec4AVX512(y, w *float32, ws int, x *float32, n int)
TEXT ·matVec4AVX512(SB), NOSPLIT, $0-40
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
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8

m32:
	CMPQ        CX, $32
	JL          m16
	VMOVUPS     (DI)(AX*1), Z4
	VMOVUPS     64(DI)(AX*1), Z9
	VFMADD231PS (SI)(AX*1), Z4, Z0
	VFMADD231PS (R8)(AX*1), Z4, Z1
	VFMADD231PS (R9)(AX*1), Z4, Z2
	VFMADD231PS (R10)(AX*1), Z4, Z3
	VFMADD231PS 64(SI)(AX*1), Z9, Z5
	VFMADD231PS 64(R8)(AX*1), Z9, Z6
	VFMADD231PS 64(R9)(AX*1), Z9, Z7
	VFMADD231PS 64(R10)(AX*1), Z9, Z8
	ADDQ        $128, AX
	SUBQ        $32, CX
	JMP         m32

m16:
	CMPQ        CX, $16
	JL          mtail
	VMOVUPS     (DI)(AX*1), Z4
	VFMADD231PS (SI)(AX*1), Z4, Z0
	VFMADD231PS (R8)(AX*1), Z4, Z1
	VFMADD231PS (R9)(AX*1), Z4, Z2
	VFMADD231PS (R10)(AX*1), Z4, Z3
	ADDQ        $64, AX
	SUBQ        $16, CX

mtail:
	// The last n mod 16 values through a mask (zeros elsewhere).
	TESTQ       CX, CX
	JE          msum
	MOVL        $1, R11
	SHLL        CX, R11
	DECL        R11
	KMOVW       R11, K1
	VMOVUPS.Z   (DI)(AX*1), K1, Z4
	VMOVUPS.Z   (SI)(AX*1), K1, Z10
	VMOVUPS.Z   (R8)(AX*1), K1, Z11
	VMOVUPS.Z   (R9)(AX*1), K1, Z12
	VMOVUPS.Z   (R10)(AX*1), K1, Z13
	VFMADD231PS Z10, Z4, Z5
	VFMADD231PS Z11, Z4, Z6
	VFMADD231PS Z12, Z4, Z7
	VFMADD231PS Z13, Z4, Z8

msum:
	VADDPS Z5, Z0, Z0
	VADDPS Z6, Z1, Z1
	VADDPS Z7, Z2, Z2
	VADDPS Z8, Z3, Z3
	HSUM16(Z0, Y0, X0, Y4, X4)
	HSUM16(Z1, Y1, X1, Y4, X4)
	HSUM16(Z2, Y2, X2, Y4, X4)
	HSUM16(Z3, Y3, X3, Y4, X4)
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	VZEROUPPER
	RET

// The quantised ones: frame y+0 codes+8 cs+16 scales+24 ss+32 x+40 n+48
// group+56; n and group multiples of 32.

// q4top16 masks the top nibble of every dword.
DATA q4top16<>+0(SB)/8, $0xf0000000f0000000
DATA q4top16<>+8(SB)/8, $0xf0000000f0000000
DATA q4top16<>+16(SB)/8, $0xf0000000f0000000
DATA q4top16<>+24(SB)/8, $0xf0000000f0000000
DATA q4top16<>+32(SB)/8, $0xf0000000f0000000
DATA q4top16<>+40(SB)/8, $0xf0000000f0000000
DATA q4top16<>+48(SB)/8, $0xf0000000f0000000
DATA q4top16<>+56(SB)/8, $0xf0000000f0000000
GLOBL q4top16<>(SB), RODATA|NOPTR, $64

// q4unit16 is 2^-28 (see q4unit).
DATA q4unit16<>+0(SB)/4, $0x31800000
GLOBL q4unit16<>(SB), RODATA|NOPTR, $4

#define QSETUP512 \
	MOVQ   y+0(FP), DX; \
	MOVQ   codes+8(FP), SI; \
	MOVQ   cs+16(FP), BX; \
	LEAQ   (SI)(BX*1), R8; \
	LEAQ   (R8)(BX*1), R9; \
	LEAQ   (R9)(BX*1), R10; \
	MOVQ   scales+24(FP), R11; \
	MOVQ   ss+32(FP), BX; \
	SHLQ   $2, BX; \
	LEAQ   (R11)(BX*1), R13; \
	LEAQ   (R13)(BX*1), R14; \
	LEAQ   (R14)(BX*1), BX; \
	MOVQ   x+40(FP), DI; \
	MOVQ   n+48(FP), CX; \
	XORQ   AX, AX; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8

#define QSCALES512 \
	MOVQ         group+56(FP), R12; \
	VBROADCASTSS (R11), Z10; \
	VBROADCASTSS (R13), Z11; \
	VBROADCASTSS (R14), Z12; \
	VBROADCASTSS (BX), Z13; \
	ADDQ         $4, R11; \
	ADDQ         $4, R13; \
	ADDQ         $4, R14; \
	ADDQ         $4, BX

#define QFINISH512 \
	VADDPS Z5, Z0, Z0; \
	VADDPS Z6, Z1, Z1; \
	VADDPS Z7, Z2, Z2; \
	VADDPS Z8, Z3, Z3; \
	HSUM16(Z0, Y0, X0, Y4, X4); \
	HSUM16(Z1, Y1, X1, Y4, X4); \
	HSUM16(Z2, Y2, X2, Y4, X4); \
	HSUM16(Z3, Y3, X3, Y4, X4); \
	VMOVSS X0, (DX); \
	VMOVSS X1, 4(DX); \
	VMOVSS X2, 8(DX); \
	VMOVSS X3, 12(DX); \
	VZEROUPPER

#define Q8ROW512(p, sc, a, b) \
	VPMOVSXBD   (p)(AX*1), Z14; \
	VPMOVSXBD   16(p)(AX*1), Z15; \
	VCVTDQ2PS   Z14, Z14; \
	VCVTDQ2PS   Z15, Z15; \
	VMULPS      sc, Z14, Z14; \
	VMULPS      sc, Z15, Z15; \
	VFMADD231PS Z14, Z4, a; \
	VFMADD231PS Z15, Z9, b

// Q4ROW512: sixteen planar bytes (byte k: value k low, value k+16 high).
#define Q4ROW512(p, sc, a, b) \
	VPMOVSXBD   (p)(AX*1), Z14; \
	VPSLLD      $28, Z14, Z15; \
	VPSLLD      $24, Z14, Z14; \
	VPANDD      q4top16<>(SB), Z14, Z14; \
	VCVTDQ2PS   Z15, Z15; \
	VCVTDQ2PS   Z14, Z14; \
	VMULPS      sc, Z15, Z15; \
	VMULPS      sc, Z14, Z14; \
	VFMADD231PS Z15, Z4, a; \
	VFMADD231PS Z14, Z9, b

// func q8MatVec4AVX512(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)
TEXT ·q8MatVec4AVX512(SB), NOSPLIT, $0-64
	QSETUP512

q8group:
	TESTQ CX, CX
	JE    q8done
	QSCALES512

q8loop:
	VMOVUPS (DI), Z4
	VMOVUPS 64(DI), Z9
	Q8ROW512(SI, Z10, Z0, Z5)
	Q8ROW512(R8, Z11, Z1, Z6)
	Q8ROW512(R9, Z12, Z2, Z7)
	Q8ROW512(R10, Z13, Z3, Z8)
	ADDQ    $32, AX
	ADDQ    $128, DI
	SUBQ    $32, CX
	SUBQ    $32, R12
	JNE     q8loop
	JMP     q8group

q8done:
	QFINISH512
	RET

// func q4MatVec4AVX512(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)
TEXT ·q4MatVec4AVX512(SB), NOSPLIT, $0-64
	QSETUP512

q4group:
	TESTQ        CX, CX
	JE           q4done
	QSCALES512
	VBROADCASTSS q4unit16<>(SB), Z14
	VMULPS       Z14, Z10, Z10
	VMULPS       Z14, Z11, Z11
	VMULPS       Z14, Z12, Z12
	VMULPS       Z14, Z13, Z13

q4loop:
	VMOVUPS (DI), Z4
	VMOVUPS 64(DI), Z9
	Q4ROW512(SI, Z10, Z0, Z5)
	Q4ROW512(R8, Z11, Z1, Z6)
	Q4ROW512(R9, Z12, Z2, Z7)
	Q4ROW512(R10, Z13, Z3, Z8)
	ADDQ    $16, AX
	ADDQ    $128, DI
	SUBQ    $32, CX
	SUBQ    $32, R12
	JNE     q4loop
	JMP     q4group

q4done:
	QFINISH512
	RET

// func matMul3x4AVX512(y *float32, ys int, w *float32, x *float32, xs int, n int)
// matMul3x4AVX2 in sixteen lanes: three tokens × four rows, twelve FMA
// chains, the last n mod 16 values through a mask.
TEXT ·matMul3x4AVX512(SB), NOSPLIT, $0-48
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
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

mm16:
	CMPQ        CX, $16
	JL          mmtail
	VMOVUPS     (DI)(AX*1), Z12
	VMOVUPS     (R12)(AX*1), Z13
	VMOVUPS     (R13)(AX*1), Z14
	VMOVUPS     (SI)(AX*1), Z15
	VFMADD231PS Z15, Z12, Z0
	VFMADD231PS Z15, Z13, Z4
	VFMADD231PS Z15, Z14, Z8
	VMOVUPS     (R8)(AX*1), Z15
	VFMADD231PS Z15, Z12, Z1
	VFMADD231PS Z15, Z13, Z5
	VFMADD231PS Z15, Z14, Z9
	VMOVUPS     (R9)(AX*1), Z15
	VFMADD231PS Z15, Z12, Z2
	VFMADD231PS Z15, Z13, Z6
	VFMADD231PS Z15, Z14, Z10
	VMOVUPS     (R10)(AX*1), Z15
	VFMADD231PS Z15, Z12, Z3
	VFMADD231PS Z15, Z13, Z7
	VFMADD231PS Z15, Z14, Z11
	ADDQ        $64, AX
	SUBQ        $16, CX
	JMP         mm16

mmtail:
	TESTQ       CX, CX
	JE          mmsum
	MOVL        $1, R14
	SHLL        CX, R14
	DECL        R14
	KMOVW       R14, K1
	VMOVUPS.Z   (DI)(AX*1), K1, Z12
	VMOVUPS.Z   (R12)(AX*1), K1, Z13
	VMOVUPS.Z   (R13)(AX*1), K1, Z14
	VMOVUPS.Z   (SI)(AX*1), K1, Z15
	VFMADD231PS Z15, Z12, Z0
	VFMADD231PS Z15, Z13, Z4
	VFMADD231PS Z15, Z14, Z8
	VMOVUPS.Z   (R8)(AX*1), K1, Z15
	VFMADD231PS Z15, Z12, Z1
	VFMADD231PS Z15, Z13, Z5
	VFMADD231PS Z15, Z14, Z9
	VMOVUPS.Z   (R9)(AX*1), K1, Z15
	VFMADD231PS Z15, Z12, Z2
	VFMADD231PS Z15, Z13, Z6
	VFMADD231PS Z15, Z14, Z10
	VMOVUPS.Z   (R10)(AX*1), K1, Z15
	VFMADD231PS Z15, Z12, Z3
	VFMADD231PS Z15, Z13, Z7
	VFMADD231PS Z15, Z14, Z11

mmsum:
	HSUM16(Z0, Y0, X0, Y15, X15)
	HSUM16(Z1, Y1, X1, Y15, X15)
	HSUM16(Z2, Y2, X2, Y15, X15)
	HSUM16(Z3, Y3, X3, Y15, X15)
	HSUM16(Z4, Y4, X4, Y15, X15)
	HSUM16(Z5, Y5, X5, Y15, X15)
	HSUM16(Z6, Y6, X6, Y15, X15)
	HSUM16(Z7, Y7, X7, Y15, X15)
	HSUM16(Z8, Y8, X8, Y15, X15)
	HSUM16(Z9, Y9, X9, Y15, X15)
	HSUM16(Z10, Y10, X10, Y15, X15)
	HSUM16(Z11, Y11, X11, Y15, X15)
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

// func matVecRowsAVX512(y, w *float32, rows int, x *float32, n int)
// matVec4AVX512 over rows/4 consecutive quads of rows (rows a multiple of
// 4, row stride n) in one call: the same sums in the same order, without a
// Go call per quad, and the next quad's loads can start while this one's
// horizontal sums finish.
TEXT ·matVecRowsAVX512(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ rows+16(FP), R12
	MOVQ x+24(FP), DI
	MOVQ n+32(FP), R13
	MOVQ R13, BX
	SHLQ $2, BX

rquad:
	CMPQ   R12, $4
	JL     rdone
	LEAQ   (SI)(BX*1), R8
	LEAQ   (R8)(BX*1), R9
	LEAQ   (R9)(BX*1), R10
	MOVQ   R13, CX
	XORQ   AX, AX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8

r32:
	CMPQ        CX, $32
	JL          r16
	VMOVUPS     (DI)(AX*1), Z4
	VMOVUPS     64(DI)(AX*1), Z9
	VFMADD231PS (SI)(AX*1), Z4, Z0
	VFMADD231PS (R8)(AX*1), Z4, Z1
	VFMADD231PS (R9)(AX*1), Z4, Z2
	VFMADD231PS (R10)(AX*1), Z4, Z3
	VFMADD231PS 64(SI)(AX*1), Z9, Z5
	VFMADD231PS 64(R8)(AX*1), Z9, Z6
	VFMADD231PS 64(R9)(AX*1), Z9, Z7
	VFMADD231PS 64(R10)(AX*1), Z9, Z8
	ADDQ        $128, AX
	SUBQ        $32, CX
	JMP         r32

r16:
	CMPQ        CX, $16
	JL          rtail
	VMOVUPS     (DI)(AX*1), Z4
	VFMADD231PS (SI)(AX*1), Z4, Z0
	VFMADD231PS (R8)(AX*1), Z4, Z1
	VFMADD231PS (R9)(AX*1), Z4, Z2
	VFMADD231PS (R10)(AX*1), Z4, Z3
	ADDQ        $64, AX
	SUBQ        $16, CX

rtail:
	TESTQ       CX, CX
	JE          rsum
	MOVL        $1, R11
	SHLL        CX, R11
	DECL        R11
	KMOVW       R11, K1
	VMOVUPS.Z   (DI)(AX*1), K1, Z4
	VMOVUPS.Z   (SI)(AX*1), K1, Z10
	VMOVUPS.Z   (R8)(AX*1), K1, Z11
	VMOVUPS.Z   (R9)(AX*1), K1, Z12
	VMOVUPS.Z   (R10)(AX*1), K1, Z13
	VFMADD231PS Z10, Z4, Z5
	VFMADD231PS Z11, Z4, Z6
	VFMADD231PS Z12, Z4, Z7
	VFMADD231PS Z13, Z4, Z8

rsum:
	VADDPS Z5, Z0, Z0
	VADDPS Z6, Z1, Z1
	VADDPS Z7, Z2, Z2
	VADDPS Z8, Z3, Z3
	HSUM16(Z0, Y0, X0, Y4, X4)
	HSUM16(Z1, Y1, X1, Y4, X4)
	HSUM16(Z2, Y2, X2, Y4, X4)
	HSUM16(Z3, Y3, X3, Y4, X4)
	VMOVSS X0, (DX)
	VMOVSS X1, 4(DX)
	VMOVSS X2, 8(DX)
	VMOVSS X3, 12(DX)
	ADDQ   $16, DX
	LEAQ   (R10)(BX*1), SI
	SUBQ   $4, R12
	JMP    rquad

rdone:
	VZEROUPPER
	RET

