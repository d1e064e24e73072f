//go:build amd64 && !purego

#include "textflag.h"

// The element-wise kernels: Cephes expf / tanhf in eight lanes, step for
// step the twins of elementwise_generic.go (FMA where they multiply and
// add). Each takes whole vectors: n is a multiple of 8.

DATA expHi<>+0(SB)/8, $0x42b0c0a542b0c0a5
DATA expHi<>+8(SB)/8, $0x42b0c0a542b0c0a5
DATA expHi<>+16(SB)/8, $0x42b0c0a542b0c0a5
DATA expHi<>+24(SB)/8, $0x42b0c0a542b0c0a5
GLOBL expHi<>(SB), RODATA|NOPTR, $32

DATA expLo<>+0(SB)/8, $0xc2aeac50c2aeac50
DATA expLo<>+8(SB)/8, $0xc2aeac50c2aeac50
DATA expLo<>+16(SB)/8, $0xc2aeac50c2aeac50
DATA expLo<>+24(SB)/8, $0xc2aeac50c2aeac50
GLOBL expLo<>(SB), RODATA|NOPTR, $32

DATA log2e<>+0(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA log2e<>+8(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA log2e<>+16(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA log2e<>+24(SB)/8, $0x3fb8aa3b3fb8aa3b
GLOBL log2e<>(SB), RODATA|NOPTR, $32

DATA expC1<>+0(SB)/8, $0x3f3180003f318000
DATA expC1<>+8(SB)/8, $0x3f3180003f318000
DATA expC1<>+16(SB)/8, $0x3f3180003f318000
DATA expC1<>+24(SB)/8, $0x3f3180003f318000
GLOBL expC1<>(SB), RODATA|NOPTR, $32

DATA expC2<>+0(SB)/8, $0xb95e8083b95e8083
DATA expC2<>+8(SB)/8, $0xb95e8083b95e8083
DATA expC2<>+16(SB)/8, $0xb95e8083b95e8083
DATA expC2<>+24(SB)/8, $0xb95e8083b95e8083
GLOBL expC2<>(SB), RODATA|NOPTR, $32

DATA expP0<>+0(SB)/8, $0x3950696739506967
DATA expP0<>+8(SB)/8, $0x3950696739506967
DATA expP0<>+16(SB)/8, $0x3950696739506967
DATA expP0<>+24(SB)/8, $0x3950696739506967
GLOBL expP0<>(SB), RODATA|NOPTR, $32

DATA expP1<>+0(SB)/8, $0x3ab743ce3ab743ce
DATA expP1<>+8(SB)/8, $0x3ab743ce3ab743ce
DATA expP1<>+16(SB)/8, $0x3ab743ce3ab743ce
DATA expP1<>+24(SB)/8, $0x3ab743ce3ab743ce
GLOBL expP1<>(SB), RODATA|NOPTR, $32

DATA expP2<>+0(SB)/8, $0x3c0889083c088908
DATA expP2<>+8(SB)/8, $0x3c0889083c088908
DATA expP2<>+16(SB)/8, $0x3c0889083c088908
DATA expP2<>+24(SB)/8, $0x3c0889083c088908
GLOBL expP2<>(SB), RODATA|NOPTR, $32

DATA expP3<>+0(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expP3<>+8(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expP3<>+16(SB)/8, $0x3d2aa9c13d2aa9c1
DATA expP3<>+24(SB)/8, $0x3d2aa9c13d2aa9c1
GLOBL expP3<>(SB), RODATA|NOPTR, $32

DATA expP4<>+0(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expP4<>+8(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expP4<>+16(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA expP4<>+24(SB)/8, $0x3e2aaaaa3e2aaaaa
GLOBL expP4<>(SB), RODATA|NOPTR, $32

DATA expP5<>+0(SB)/8, $0x3f0000003f000000
DATA expP5<>+8(SB)/8, $0x3f0000003f000000
DATA expP5<>+16(SB)/8, $0x3f0000003f000000
DATA expP5<>+24(SB)/8, $0x3f0000003f000000
GLOBL expP5<>(SB), RODATA|NOPTR, $32

DATA one<>+0(SB)/8, $0x3f8000003f800000
DATA one<>+8(SB)/8, $0x3f8000003f800000
DATA one<>+16(SB)/8, $0x3f8000003f800000
DATA one<>+24(SB)/8, $0x3f8000003f800000
GLOBL one<>(SB), RODATA|NOPTR, $32

DATA two<>+0(SB)/8, $0x4000000040000000
DATA two<>+8(SB)/8, $0x4000000040000000
DATA two<>+16(SB)/8, $0x4000000040000000
DATA two<>+24(SB)/8, $0x4000000040000000
GLOBL two<>(SB), RODATA|NOPTR, $32

DATA tanhP0<>+0(SB)/8, $0xbbbaf0eabbbaf0ea
DATA tanhP0<>+8(SB)/8, $0xbbbaf0eabbbaf0ea
DATA tanhP0<>+16(SB)/8, $0xbbbaf0eabbbaf0ea
DATA tanhP0<>+24(SB)/8, $0xbbbaf0eabbbaf0ea
GLOBL tanhP0<>(SB), RODATA|NOPTR, $32

DATA tanhP1<>+0(SB)/8, $0x3ca9134e3ca9134e
DATA tanhP1<>+8(SB)/8, $0x3ca9134e3ca9134e
DATA tanhP1<>+16(SB)/8, $0x3ca9134e3ca9134e
DATA tanhP1<>+24(SB)/8, $0x3ca9134e3ca9134e
GLOBL tanhP1<>(SB), RODATA|NOPTR, $32

DATA tanhP2<>+0(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA tanhP2<>+8(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA tanhP2<>+16(SB)/8, $0xbd5c1e2dbd5c1e2d
DATA tanhP2<>+24(SB)/8, $0xbd5c1e2dbd5c1e2d
GLOBL tanhP2<>(SB), RODATA|NOPTR, $32

DATA tanhP3<>+0(SB)/8, $0x3e0883933e088393
DATA tanhP3<>+8(SB)/8, $0x3e0883933e088393
DATA tanhP3<>+16(SB)/8, $0x3e0883933e088393
DATA tanhP3<>+24(SB)/8, $0x3e0883933e088393
GLOBL tanhP3<>(SB), RODATA|NOPTR, $32

DATA tanhP4<>+0(SB)/8, $0xbeaaaa99beaaaa99
DATA tanhP4<>+8(SB)/8, $0xbeaaaa99beaaaa99
DATA tanhP4<>+16(SB)/8, $0xbeaaaa99beaaaa99
DATA tanhP4<>+24(SB)/8, $0xbeaaaa99beaaaa99
GLOBL tanhP4<>(SB), RODATA|NOPTR, $32

DATA tanhEdge<>+0(SB)/8, $0x3f2000003f200000
DATA tanhEdge<>+8(SB)/8, $0x3f2000003f200000
DATA tanhEdge<>+16(SB)/8, $0x3f2000003f200000
DATA tanhEdge<>+24(SB)/8, $0x3f2000003f200000
GLOBL tanhEdge<>(SB), RODATA|NOPTR, $32

DATA absMask<>+0(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+8(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+16(SB)/8, $0x7fffffff7fffffff
DATA absMask<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL absMask<>(SB), RODATA|NOPTR, $32

DATA signMask<>+0(SB)/8, $0x8000000080000000
DATA signMask<>+8(SB)/8, $0x8000000080000000
DATA signMask<>+16(SB)/8, $0x8000000080000000
DATA signMask<>+24(SB)/8, $0x8000000080000000
GLOBL signMask<>(SB), RODATA|NOPTR, $32

DATA bias127<>+0(SB)/8, $0x0000007f0000007f
DATA bias127<>+8(SB)/8, $0x0000007f0000007f
DATA bias127<>+16(SB)/8, $0x0000007f0000007f
DATA bias127<>+24(SB)/8, $0x0000007f0000007f
GLOBL bias127<>(SB), RODATA|NOPTR, $32

// EXPPS sets x = e^x (eight lanes), using t1-t4: the steps of expf.
#define EXPPS(x, t1, t2, t3, t4) \
	VCMPPS       $1, expLo<>(SB), x, t4; \
	VMINPS       expHi<>(SB), x, x; \
	VMULPS       log2e<>(SB), x, t1; \
	VROUNDPS     $0, t1, t1; \
	VFNMADD231PS expC1<>(SB), t1, x; \
	VFNMADD231PS expC2<>(SB), t1, x; \
	VCVTPS2DQ    t1, t1; \
	VPADDD       bias127<>(SB), t1, t1; \
	VPSLLD       $23, t1, t1; \
	VMOVUPS      expP0<>(SB), t2; \
	VFMADD213PS  expP1<>(SB), x, t2; \
	VFMADD213PS  expP2<>(SB), x, t2; \
	VFMADD213PS  expP3<>(SB), x, t2; \
	VFMADD213PS  expP4<>(SB), x, t2; \
	VFMADD213PS  expP5<>(SB), x, t2; \
	VMULPS       x, x, t3; \
	VFMADD213PS  x, t3, t2; \
	VADDPS       one<>(SB), t2, t2; \
	VMULPS       t1, t2, t2; \
	VANDNPS      t2, t4, x

// func expAVX2(y, x *float32, n int)
TEXT ·expAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

exploop:
	VMOVUPS (SI), Y0
	EXPPS(Y0, Y4, Y5, Y6, Y7)
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNE     exploop
	VZEROUPPER
	RET

// SIGMOIDPS sets s = 1/(1+e^-x), x unchanged.
#define SIGMOIDPS(x, s) \
	VXORPS  signMask<>(SB), x, s; \
	EXPPS(s, Y4, Y5, Y6, Y7); \
	VADDPS  Y9, s, s; \
	VDIVPS  s, Y9, s

// func sigmoidAVX2(y, x *float32, n int)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ    y+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS one<>(SB), Y9

sigloop:
	VMOVUPS (SI), Y0
	SIGMOIDPS(Y0, Y1)
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNE     sigloop
	VZEROUPPER
	RET

// func siluAVX2(y, x *float32, n int)
TEXT ·siluAVX2(SB), NOSPLIT, $0-24
	MOVQ    y+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS one<>(SB), Y9

siluloop:
	VMOVUPS (SI), Y0
	SIGMOIDPS(Y0, Y1)
	VMULPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNE     siluloop
	VZEROUPPER
	RET

// func softcapAVX2(y, x *float32, n int, c float32)
// y = c·tanh(x/c): tanhf's polynomial where |x/c| < 0.625, else
// 1 − 2/(e^{2|x/c|}+1) with the sign of x, chosen per lane.
TEXT ·softcapAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS c+24(FP), Y8
	VMOVUPS      one<>(SB), Y9
	VMOVUPS      two<>(SB), Y10

caploop:
	VMOVUPS     (SI), Y0
	VDIVPS      Y8, Y0, Y0
	VANDPS      absMask<>(SB), Y0, Y1
	VCMPPS      $1, tanhEdge<>(SB), Y1, Y11
	// small: p(z)·z·u + u, z = u²
	VMULPS      Y0, Y0, Y12
	VMOVUPS     tanhP0<>(SB), Y2
	VFMADD213PS tanhP1<>(SB), Y12, Y2
	VFMADD213PS tanhP2<>(SB), Y12, Y2
	VFMADD213PS tanhP3<>(SB), Y12, Y2
	VFMADD213PS tanhP4<>(SB), Y12, Y2
	VMULPS      Y12, Y2, Y2
	VFMADD213PS Y0, Y0, Y2
	// big: 1 − 2/(e^{2a}+1), the sign of u
	VADDPS      Y1, Y1, Y3
	EXPPS(Y3, Y4, Y5, Y6, Y7)
	VADDPS      Y9, Y3, Y3
	VDIVPS      Y3, Y10, Y3
	VSUBPS      Y3, Y9, Y3
	VANDPS      signMask<>(SB), Y0, Y13
	VORPS       Y13, Y3, Y3
	VBLENDVPS   Y11, Y2, Y3, Y0
	VMULPS      Y8, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNE         caploop
	VZEROUPPER
	RET
