//go:build amd64 && !purego

#include "textflag.h"

// LogSigmoid and GELU in eight lanes, step for step the twins of
// nonlin_generic.go (FMA where they multiply and add). Each takes whole
// vectors: n is a multiple of 8. The constants and EXPPS repeat those of
// elementwise_amd64.s (DATA symbols and macros are private to a file).

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

DATA half<>+0(SB)/8, $0x3f0000003f000000
DATA half<>+8(SB)/8, $0x3f0000003f000000
DATA half<>+16(SB)/8, $0x3f0000003f000000
DATA half<>+24(SB)/8, $0x3f0000003f000000
GLOBL half<>(SB), RODATA|NOPTR, $32

DATA negHalf<>+0(SB)/8, $0xbf000000bf000000
DATA negHalf<>+8(SB)/8, $0xbf000000bf000000
DATA negHalf<>+16(SB)/8, $0xbf000000bf000000
DATA negHalf<>+24(SB)/8, $0xbf000000bf000000
GLOBL negHalf<>(SB), RODATA|NOPTR, $32

DATA logSplit<>+0(SB)/8, $0x3ed413cd3ed413cd
DATA logSplit<>+8(SB)/8, $0x3ed413cd3ed413cd
DATA logSplit<>+16(SB)/8, $0x3ed413cd3ed413cd
DATA logSplit<>+24(SB)/8, $0x3ed413cd3ed413cd
GLOBL logSplit<>(SB), RODATA|NOPTR, $32

DATA logTiny<>+0(SB)/8, $0x3380000033800000
DATA logTiny<>+8(SB)/8, $0x3380000033800000
DATA logTiny<>+16(SB)/8, $0x3380000033800000
DATA logTiny<>+24(SB)/8, $0x3380000033800000
GLOBL logTiny<>(SB), RODATA|NOPTR, $32

DATA logC1<>+0(SB)/8, $0x3f3180003f318000
DATA logC1<>+8(SB)/8, $0x3f3180003f318000
DATA logC1<>+16(SB)/8, $0x3f3180003f318000
DATA logC1<>+24(SB)/8, $0x3f3180003f318000
GLOBL logC1<>(SB), RODATA|NOPTR, $32

DATA logC2<>+0(SB)/8, $0xb95e8083b95e8083
DATA logC2<>+8(SB)/8, $0xb95e8083b95e8083
DATA logC2<>+16(SB)/8, $0xb95e8083b95e8083
DATA logC2<>+24(SB)/8, $0xb95e8083b95e8083
GLOBL logC2<>(SB), RODATA|NOPTR, $32

DATA logP0<>+0(SB)/8, $0x3d9021bb3d9021bb
DATA logP0<>+8(SB)/8, $0x3d9021bb3d9021bb
DATA logP0<>+16(SB)/8, $0x3d9021bb3d9021bb
DATA logP0<>+24(SB)/8, $0x3d9021bb3d9021bb
GLOBL logP0<>(SB), RODATA|NOPTR, $32

DATA logP1<>+0(SB)/8, $0xbdebd1b8bdebd1b8
DATA logP1<>+8(SB)/8, $0xbdebd1b8bdebd1b8
DATA logP1<>+16(SB)/8, $0xbdebd1b8bdebd1b8
DATA logP1<>+24(SB)/8, $0xbdebd1b8bdebd1b8
GLOBL logP1<>(SB), RODATA|NOPTR, $32

DATA logP2<>+0(SB)/8, $0x3def251a3def251a
DATA logP2<>+8(SB)/8, $0x3def251a3def251a
DATA logP2<>+16(SB)/8, $0x3def251a3def251a
DATA logP2<>+24(SB)/8, $0x3def251a3def251a
GLOBL logP2<>(SB), RODATA|NOPTR, $32

DATA logP3<>+0(SB)/8, $0xbdfe5d4fbdfe5d4f
DATA logP3<>+8(SB)/8, $0xbdfe5d4fbdfe5d4f
DATA logP3<>+16(SB)/8, $0xbdfe5d4fbdfe5d4f
DATA logP3<>+24(SB)/8, $0xbdfe5d4fbdfe5d4f
GLOBL logP3<>(SB), RODATA|NOPTR, $32

DATA logP4<>+0(SB)/8, $0x3e11e9bf3e11e9bf
DATA logP4<>+8(SB)/8, $0x3e11e9bf3e11e9bf
DATA logP4<>+16(SB)/8, $0x3e11e9bf3e11e9bf
DATA logP4<>+24(SB)/8, $0x3e11e9bf3e11e9bf
GLOBL logP4<>(SB), RODATA|NOPTR, $32

DATA logP5<>+0(SB)/8, $0xbe2aae50be2aae50
DATA logP5<>+8(SB)/8, $0xbe2aae50be2aae50
DATA logP5<>+16(SB)/8, $0xbe2aae50be2aae50
DATA logP5<>+24(SB)/8, $0xbe2aae50be2aae50
GLOBL logP5<>(SB), RODATA|NOPTR, $32

DATA logP6<>+0(SB)/8, $0x3e4cceac3e4cceac
DATA logP6<>+8(SB)/8, $0x3e4cceac3e4cceac
DATA logP6<>+16(SB)/8, $0x3e4cceac3e4cceac
DATA logP6<>+24(SB)/8, $0x3e4cceac3e4cceac
GLOBL logP6<>(SB), RODATA|NOPTR, $32

DATA logP7<>+0(SB)/8, $0xbe7ffffcbe7ffffc
DATA logP7<>+8(SB)/8, $0xbe7ffffcbe7ffffc
DATA logP7<>+16(SB)/8, $0xbe7ffffcbe7ffffc
DATA logP7<>+24(SB)/8, $0xbe7ffffcbe7ffffc
GLOBL logP7<>(SB), RODATA|NOPTR, $32

DATA logP8<>+0(SB)/8, $0x3eaaaaaa3eaaaaaa
DATA logP8<>+8(SB)/8, $0x3eaaaaaa3eaaaaaa
DATA logP8<>+16(SB)/8, $0x3eaaaaaa3eaaaaaa
DATA logP8<>+24(SB)/8, $0x3eaaaaaa3eaaaaaa
GLOBL logP8<>(SB), RODATA|NOPTR, $32

DATA geluP<>+0(SB)/8, $0x3e8000003e800000
DATA geluP<>+8(SB)/8, $0x3e8000003e800000
DATA geluP<>+16(SB)/8, $0x3e8000003e800000
DATA geluP<>+24(SB)/8, $0x3e8000003e800000
GLOBL geluP<>(SB), RODATA|NOPTR, $32

DATA geluClamp<>+0(SB)/8, $0x4160000041600000
DATA geluClamp<>+8(SB)/8, $0x4160000041600000
DATA geluClamp<>+16(SB)/8, $0x4160000041600000
DATA geluClamp<>+24(SB)/8, $0x4160000041600000
GLOBL geluClamp<>(SB), RODATA|NOPTR, $32

DATA geluQ0<>+0(SB)/8, $0x3dcc65563dcc6556
DATA geluQ0<>+8(SB)/8, $0x3dcc65563dcc6556
DATA geluQ0<>+16(SB)/8, $0x3dcc65563dcc6556
DATA geluQ0<>+24(SB)/8, $0x3dcc65563dcc6556
GLOBL geluQ0<>(SB), RODATA|NOPTR, $32

DATA geluQ1<>+0(SB)/8, $0x3dc9971f3dc9971f
DATA geluQ1<>+8(SB)/8, $0x3dc9971f3dc9971f
DATA geluQ1<>+16(SB)/8, $0x3dc9971f3dc9971f
DATA geluQ1<>+24(SB)/8, $0x3dc9971f3dc9971f
GLOBL geluQ1<>(SB), RODATA|NOPTR, $32

DATA geluQ2<>+0(SB)/8, $0x3dd5a6c43dd5a6c4
DATA geluQ2<>+8(SB)/8, $0x3dd5a6c43dd5a6c4
DATA geluQ2<>+16(SB)/8, $0x3dd5a6c43dd5a6c4
DATA geluQ2<>+24(SB)/8, $0x3dd5a6c43dd5a6c4
GLOBL geluQ2<>(SB), RODATA|NOPTR, $32

DATA geluQ3<>+0(SB)/8, $0x3cfbf8c43cfbf8c4
DATA geluQ3<>+8(SB)/8, $0x3cfbf8c43cfbf8c4
DATA geluQ3<>+16(SB)/8, $0x3cfbf8c43cfbf8c4
DATA geluQ3<>+24(SB)/8, $0x3cfbf8c43cfbf8c4
GLOBL geluQ3<>(SB), RODATA|NOPTR, $32

DATA geluQ4<>+0(SB)/8, $0x3e53a8bc3e53a8bc
DATA geluQ4<>+8(SB)/8, $0x3e53a8bc3e53a8bc
DATA geluQ4<>+16(SB)/8, $0x3e53a8bc3e53a8bc
DATA geluQ4<>+24(SB)/8, $0x3e53a8bc3e53a8bc
GLOBL geluQ4<>(SB), RODATA|NOPTR, $32

DATA geluQ5<>+0(SB)/8, $0xbe59db47be59db47
DATA geluQ5<>+8(SB)/8, $0xbe59db47be59db47
DATA geluQ5<>+16(SB)/8, $0xbe59db47be59db47
DATA geluQ5<>+24(SB)/8, $0xbe59db47be59db47
GLOBL geluQ5<>(SB), RODATA|NOPTR, $32

DATA geluQ6<>+0(SB)/8, $0x3e9aaa013e9aaa01
DATA geluQ6<>+8(SB)/8, $0x3e9aaa013e9aaa01
DATA geluQ6<>+16(SB)/8, $0x3e9aaa013e9aaa01
DATA geluQ6<>+24(SB)/8, $0x3e9aaa013e9aaa01
GLOBL geluQ6<>(SB), RODATA|NOPTR, $32

DATA geluQ7<>+0(SB)/8, $0xbe1f5f6ebe1f5f6e
DATA geluQ7<>+8(SB)/8, $0xbe1f5f6ebe1f5f6e
DATA geluQ7<>+16(SB)/8, $0xbe1f5f6ebe1f5f6e
DATA geluQ7<>+24(SB)/8, $0xbe1f5f6ebe1f5f6e
GLOBL geluQ7<>(SB), RODATA|NOPTR, $32

DATA geluQ8<>+0(SB)/8, $0x3cd76a053cd76a05
DATA geluQ8<>+8(SB)/8, $0x3cd76a053cd76a05
DATA geluQ8<>+16(SB)/8, $0x3cd76a053cd76a05
DATA geluQ8<>+24(SB)/8, $0x3cd76a053cd76a05
GLOBL geluQ8<>(SB), RODATA|NOPTR, $32

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

// func logSigmoidAVX2(y, x *float32, n int)
// y = min(x,0) − log1p(t), t = e^−|x|; log1p by logf's polynomial on v = t,
// or on v = (t−1)/2 plus ln2 (e = 1) where t ≥ √2−1.
TEXT ·logSigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

lsloop:
	VMOVUPS      (SI), Y0
	VORPS        signMask<>(SB), Y0, Y1
	EXPPS(Y1, Y4, Y5, Y6, Y7)
	VCMPPS       $13, logSplit<>(SB), Y1, Y2
	VMOVUPS      half<>(SB), Y3
	VFMSUB213PS  half<>(SB), Y1, Y3
	VBLENDVPS    Y2, Y3, Y1, Y1
	VANDPS       one<>(SB), Y2, Y2
	// w = v, or 0 where |v| < 2^-24 (keeps the polynomial out of subnormals)
	VANDPS       absMask<>(SB), Y1, Y6
	VCMPPS       $13, logTiny<>(SB), Y6, Y6
	VANDPS       Y1, Y6, Y6
	VMULPS       Y6, Y6, Y3
	VMOVUPS      logP0<>(SB), Y4
	VFMADD213PS  logP1<>(SB), Y6, Y4
	VFMADD213PS  logP2<>(SB), Y6, Y4
	VFMADD213PS  logP3<>(SB), Y6, Y4
	VFMADD213PS  logP4<>(SB), Y6, Y4
	VFMADD213PS  logP5<>(SB), Y6, Y4
	VFMADD213PS  logP6<>(SB), Y6, Y4
	VFMADD213PS  logP7<>(SB), Y6, Y4
	VFMADD213PS  logP8<>(SB), Y6, Y4
	VMULPS       Y6, Y4, Y4
	VMULPS       Y3, Y4, Y4
	VFMADD231PS  logC2<>(SB), Y2, Y4
	VFNMADD231PS half<>(SB), Y3, Y4
	VADDPS       Y4, Y1, Y1
	VFMADD231PS  logC1<>(SB), Y2, Y1
	// min(0, x) takes x where it is NaN
	VXORPS       Y5, Y5, Y5
	VMINPS       Y0, Y5, Y5
	VSUBPS       Y1, Y5, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JNE          lsloop
	VZEROUPPER
	RET

// func geluAVX2(y, x *float32, n int)
// y = max(x,0) − e^{−u²/2}·u·t·Q(t), u = min(|x|, 14), t = 1/(1+u/4),
// u² = h + l exactly (FMA), e^{−u²/2} = e^{−h/2}·(1 − l/2).
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX

geluloop:
	VMOVUPS      (SI), Y0
	VANDPS       absMask<>(SB), Y0, Y1
	VMINPS       geluClamp<>(SB), Y1, Y1
	VMOVUPS      geluP<>(SB), Y2
	VFMADD213PS  one<>(SB), Y1, Y2
	VMOVUPS      one<>(SB), Y3
	VDIVPS       Y2, Y3, Y2
	VMOVUPS      geluQ8<>(SB), Y3
	VFMADD213PS  geluQ7<>(SB), Y2, Y3
	VFMADD213PS  geluQ6<>(SB), Y2, Y3
	VFMADD213PS  geluQ5<>(SB), Y2, Y3
	VFMADD213PS  geluQ4<>(SB), Y2, Y3
	VFMADD213PS  geluQ3<>(SB), Y2, Y3
	VFMADD213PS  geluQ2<>(SB), Y2, Y3
	VFMADD213PS  geluQ1<>(SB), Y2, Y3
	VFMADD213PS  geluQ0<>(SB), Y2, Y3
	VMULPS       Y2, Y1, Y2
	VMULPS       Y3, Y2, Y2
	VMULPS       Y1, Y1, Y3
	VMOVUPS      Y1, Y8
	VFMSUB213PS  Y3, Y1, Y8
	VMULPS       negHalf<>(SB), Y3, Y3
	EXPPS(Y3, Y4, Y5, Y6, Y7)
	VMULPS       half<>(SB), Y8, Y8
	VFNMADD231PS Y8, Y3, Y3
	// max(0, x) takes x where it is NaN
	VXORPS       Y5, Y5, Y5
	VMAXPS       Y0, Y5, Y5
	VFNMADD231PS Y2, Y3, Y5
	VMOVUPS      Y5, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $8, CX
	JNE          geluloop
	VZEROUPPER
	RET
