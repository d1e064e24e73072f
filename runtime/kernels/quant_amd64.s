//go:build amd64 && !purego

#include "textflag.h"

// The quantised 4-row products are matVec4AVX2 with each weight
// dequantised in registers first (float32(code)·scale, as
// quant.Dequantize rounds it), so they accumulate exactly as the float32
// kernel does on the dequantised matrix. Frame of both:
// y+0 codes+8 cs+16 scales+24 ss+32 x+40 n+48 group+56.

// q4top masks the top nibble of every dword.
DATA q4top<>+0(SB)/8, $0xf0000000f0000000
DATA q4top<>+8(SB)/8, $0xf0000000f0000000
DATA q4top<>+16(SB)/8, $0xf0000000f0000000
DATA q4top<>+24(SB)/8, $0xf0000000f0000000
GLOBL q4top<>(SB), RODATA|NOPTR, $32

// q4unit is 2^-28 (float32): q4 codes are unpacked as 2^28·code, and
// scaling the scale by a power of two keeps every product exact.
DATA q4unit<>+0(SB)/4, $0x31800000
GLOBL q4unit<>(SB), RODATA|NOPTR, $4

// QSETUP loads the row pointers (codes SI, R8-R10; scales R11, R13, R14,
// BX), x (DI), n (CX) and clears the eight accumulators.
#define QSETUP \
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
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8

// QSCALES broadcasts the next group's four scales into Y10-Y13.
#define QSCALES \
	MOVQ         group+56(FP), R12; \
	VBROADCASTSS (R11), Y10; \
	VBROADCASTSS (R13), Y11; \
	VBROADCASTSS (R14), Y12; \
	VBROADCASTSS (BX), Y13; \
	ADDQ         $4, R11; \
	ADDQ         $4, R13; \
	ADDQ         $4, R14; \
	ADDQ         $4, BX

// QFINISH folds the accumulators as matVec4AVX2 does and stores y[0..3].
#define QFINISH \
	VADDPS Y5, Y0, Y0; \
	VADDPS Y6, Y1, Y1; \
	VADDPS Y7, Y2, Y2; \
	VADDPS Y8, Y3, Y3; \
	VEXTRACTF128 $1, Y0, X4; VADDPS X4, X0, X0; VHADDPS X0, X0, X0; VHADDPS X0, X0, X0; \
	VEXTRACTF128 $1, Y1, X4; VADDPS X4, X1, X1; VHADDPS X1, X1, X1; VHADDPS X1, X1, X1; \
	VEXTRACTF128 $1, Y2, X4; VADDPS X4, X2, X2; VHADDPS X2, X2, X2; VHADDPS X2, X2, X2; \
	VEXTRACTF128 $1, Y3, X4; VADDPS X4, X3, X3; VHADDPS X3, X3, X3; VHADDPS X3, X3, X3; \
	VMOVSS X0, (DX); \
	VMOVSS X1, 4(DX); \
	VMOVSS X2, 8(DX); \
	VMOVSS X3, 12(DX); \
	VZEROUPPER

// Q8ROW: sixteen int8 codes of one row at p+AX → two float vectors, times
// the row's scale sc, FMA'd with x (Y4, Y9) into a and b.
#define Q8ROW(p, sc, a, b) \
	VPMOVSXBD   (p)(AX*1), Y14; \
	VPMOVSXBD   8(p)(AX*1), Y15; \
	VCVTDQ2PS   Y14, Y14; \
	VCVTDQ2PS   Y15, Y15; \
	VMULPS      sc, Y14, Y14; \
	VMULPS      sc, Y15, Y15; \
	VFMADD231PS Y14, Y4, a; \
	VFMADD231PS Y15, Y9, b

// Q4ROW: eight planar bytes at p+AX (byte k: value k low, value k+8 high).
// Sign-extending them gives 16·v[k+8] + (v[k] mod 16) per dword; shifting
// left 28 leaves 2^28·v[k], shifting left 24 and masking 2^28·v[k+8]; the
// pre-scaled sc (scale·2^-28) turns both into code·scale exactly.
#define Q4ROW(p, sc, a, b) \
	VPMOVSXBD   (p)(AX*1), Y14; \
	VPSLLD      $28, Y14, Y15; \
	VPSLLD      $24, Y14, Y14; \
	VPAND       q4top<>(SB), Y14, Y14; \
	VCVTDQ2PS   Y15, Y15; \
	VCVTDQ2PS   Y14, Y14; \
	VMULPS      sc, Y15, Y15; \
	VMULPS      sc, Y14, Y14; \
	VFMADD231PS Y15, Y4, a; \
	VFMADD231PS Y14, Y9, b

// func q8MatVec4AVX2(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)
TEXT ·q8MatVec4AVX2(SB), NOSPLIT, $0-64
	QSETUP

q8group:
	TESTQ CX, CX
	JE    q8done
	QSCALES

q8loop:
	VMOVUPS (DI), Y4
	VMOVUPS 32(DI), Y9
	Q8ROW(SI, Y10, Y0, Y5)
	Q8ROW(R8, Y11, Y1, Y6)
	Q8ROW(R9, Y12, Y2, Y7)
	Q8ROW(R10, Y13, Y3, Y8)
	ADDQ    $16, AX
	ADDQ    $64, DI
	SUBQ    $16, CX
	SUBQ    $16, R12
	JNE     q8loop
	JMP     q8group

q8done:
	QFINISH
	RET

// func q4MatVec4AVX2(y *float32, codes *byte, cs int, scales *float32, ss int, x *float32, n, group int)
TEXT ·q4MatVec4AVX2(SB), NOSPLIT, $0-64
	QSETUP

q4group:
	TESTQ        CX, CX
	JE           q4done
	QSCALES
	VBROADCASTSS q4unit<>(SB), Y14
	VMULPS       Y14, Y10, Y10
	VMULPS       Y14, Y11, Y11
	VMULPS       Y14, Y12, Y12
	VMULPS       Y14, Y13, Y13

q4loop:
	VMOVUPS (DI), Y4
	VMOVUPS 32(DI), Y9
	Q4ROW(SI, Y10, Y0, Y5)
	Q4ROW(R8, Y11, Y1, Y6)
	Q4ROW(R9, Y12, Y2, Y7)
	Q4ROW(R10, Y13, Y3, Y8)
	ADDQ    $8, AX
	ADDQ    $64, DI
	SUBQ    $16, CX
	SUBQ    $16, R12
	JNE     q4loop
	JMP     q4group

q4done:
	QFINISH
	RET
