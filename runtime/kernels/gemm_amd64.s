//go:build amd64 && !purego

#include "textflag.h"

// func gemm4x16AVX2(k int, a *float32, ars, acs int, b *float32, ldb int, c *float32, ldc int, add bool)
// C[i, 0:16] (+)= Σ_p A(i, p)·B[p, 0:16] for i = 0..3, where
// A(i, p) = a[i·ars + p·acs], B[p, j] = b[p·ldb + j], C[i, j] = c[i·ldc + j]:
// two B vectors and four broadcasts feed eight FMA chains per step.
TEXT ·gemm4x16AVX2(SB), NOSPLIT, $0-65
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), R11
	MOVQ ars+16(FP), R8
	MOVQ acs+24(FP), R9
	MOVQ b+32(FP), DI
	MOVQ ldb+40(FP), R10
	SHLQ $2, R8
	SHLQ $2, R9
	SHLQ $2, R10
	LEAQ (R11)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop:
	TESTQ        CX, CX
	JE           done
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (R11), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (R12), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (R13), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (R14), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R9, R11
	ADDQ         R9, R12
	ADDQ         R9, R13
	ADDQ         R9, R14
	ADDQ         R10, DI
	DECQ         CX
	JMP          loop

done:
	MOVQ    c+48(FP), DI
	MOVQ    ldc+56(FP), R10
	SHLQ    $2, R10
	MOVBLZX add+64(FP), AX
	TESTQ   AX, AX
	JE      store
	VADDPS  (DI), Y0, Y0
	VADDPS  32(DI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R10, DI
	VADDPS  (DI), Y2, Y2
	VADDPS  32(DI), Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ    R10, DI
	VADDPS  (DI), Y4, Y4
	VADDPS  32(DI), Y5, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    R10, DI
	VADDPS  (DI), Y6, Y6
	VADDPS  32(DI), Y7, Y7
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	VZEROUPPER
	RET

store:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ    R10, DI
	VMOVUPS Y6, (DI)
	VMOVUPS Y7, 32(DI)
	VZEROUPPER
	RET
