//go:build !amd64 || purego

package kernels

const accelerated = false

// avx512 is never set without the assembly (tests read it).
var avx512 = false

func dot(a, b []float32) float32                           { return dotGeneric(a, b) }
func axpy(alpha float32, x, y []float32)                   { axpyGeneric(alpha, x, y) }
func axpby(a float32, y []float32, b float32, x []float32) { axpbyGeneric(a, y, b, x) }
func matVec(y, w, x []float32)                             { matVecGeneric(y, w, x) }
func matMul(y, w, x []float32, rows, n int)                { matMulGeneric(y, w, x, rows, n) }
func matVecQ(y []float32, w *QMat, x []float32)            { matVecQGeneric(y, w, x) }

func matMulTile(y []float32, rows int, w, x []float32, r0, r1, n int) {
	matMulTileGeneric(y, rows, w, x, r0, r1, n)
}

func vecPrefix(n int) int { return 0 }

func expVec(y, x []float32)                { expGeneric(y, x) }
func sigmoidVec(y, x []float32)            { sigmoidGeneric(y, x) }
func siluVec(y, x []float32)               { siluGeneric(y, x) }
func softcapVec(y, x []float32, c float32) { softcapGeneric(y, x, c) }

// q4Run is the planar q4 run length (QMat.planar); the twin reads any.
func q4Run(group int) int {
	if group%16 == 0 {
		return 16
	}
	return 0
}

func rankOneRead(c []float32, fa float32, b, v, qv, h []float32) {
	rankOneReadGeneric(c, fa, b, v, qv, h)
}
