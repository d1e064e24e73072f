package kernels

// gemm block sizes: an A block (gemmKC × gemmMC) stays in L2, a B panel
// (gemmKC × 16) in L1.
const gemmKC, gemmMC = 256, 64

// GemmBufLen is the scratch gemm needs for products with n columns.
func GemmBufLen(n int) int { return gemmKC * (gemmMC + n&^15) }

// Gemm computes C (+)= A·B for float32: C[i·ldc+j] for i < m, j < n is
// Σ_{p<k} A(i,p)·B[p·ldb+j] with A(i,p) = a[i·ars + p·acs], added to C
// when add, else written. The strides let A be read transposed (ars = 1),
// so the backward's Aᵀ·B products need no transposed copies. A and B are
// packed block by block into buf (GemmBufLen(n) long) so the microkernel
// (4 × 16, AVX2 on amd64) reads both contiguously; edges use plain loops.
func Gemm(m, n, k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, add bool, buf []float32) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !add {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	n16 := n &^ 15
	apack, bpack := buf[:gemmKC*gemmMC], buf[gemmKC*gemmMC:GemmBufLen(n)]
	for p0 := 0; p0 < k; p0 += gemmKC {
		kb := min(gemmKC, k-p0)
		acc := add || p0 > 0
		// B block → panels of 16 columns, [p][16] each.
		for j := 0; j < n16; j += 16 {
			panel := bpack[j*kb : (j+16)*kb]
			for p := 0; p < kb; p++ {
				copy(panel[p*16:p*16+16], b[(p0+p)*ldb+j:])
			}
		}
		for i0 := 0; i0 < m; i0 += gemmMC {
			i1 := min(i0+gemmMC, m)
			m4 := i0 + (i1-i0)&^3
			if n16 > 0 {
				// A block → groups of 4 rows, [p][4] each; a transposed A
				// (ars = 1) is read along its rows.
				if ars == 1 {
					for p := 0; p < kb; p++ {
						src := a[(p0+p)*acs+i0 : (p0+p)*acs+m4]
						for ii, v := range src {
							apack[(ii>>2)*kb*4+p*4+ii&3] = v
						}
					}
				} else {
					for i := i0; i < m4; i += 4 {
						g := apack[(i-i0)*kb : (i-i0+4)*kb]
						for r := 0; r < 4; r++ {
							src := a[(i+r)*ars+p0*acs:]
							for p := 0; p < kb; p++ {
								g[p*4+r] = src[p*acs]
							}
						}
					}
				}
			}
			for j := 0; j < n16; j += 16 {
				panel := bpack[j*kb:]
				for i := i0; i < m4; i += 4 {
					gemm4x16(kb, apack[(i-i0)*kb:], 1, 4, panel, 16, c[i*ldc+j:], ldc, acc)
				}
			}
			gemmEdge(i0, m4, n16, n, p0, kb, a, ars, acs, b, ldb, c, ldc, acc)
			gemmEdge(m4, i1, 0, n, p0, kb, a, ars, acs, b, ldb, c, ldc, acc)
		}
	}
}

// gemmEdge does rows [i0, i1) × columns [j0, j1) of one k block with loops.
func gemmEdge(i0, i1, j0, j1, p0, kb int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if i0 >= i1 || j0 >= j1 {
		return
	}
	for i := i0; i < i1; i++ {
		cr := c[i*ldc : i*ldc+j1]
		if !acc {
			clear(cr[j0:])
		}
		for p := p0; p < p0+kb; p++ {
			av := a[i*ars+p*acs]
			br := b[p*ldb : p*ldb+j1]
			for j := j0; j < j1; j++ {
				cr[j] += av * br[j]
			}
		}
	}
}

// gemm4x16Generic is the microkernel's pure-Go twin (and definition).
func gemm4x16Generic(k int, a []float32, ars, acs int, b []float32, ldb int, c []float32, ldc int, add bool) {
	var acc [4][16]float32
	for p := 0; p < k; p++ {
		br := b[p*ldb : p*ldb+16]
		for i := 0; i < 4; i++ {
			av := a[i*ars+p*acs]
			for j, bv := range br {
				acc[i][j] += av * bv
			}
		}
	}
	for i := 0; i < 4; i++ {
		cr := c[i*ldc : i*ldc+16]
		for j := range cr {
			if add {
				cr[j] += acc[i][j]
			} else {
				cr[j] = acc[i][j]
			}
		}
	}
}
