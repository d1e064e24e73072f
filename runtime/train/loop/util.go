package loop

import "math"

func nanf() float64 { return math.NaN() }

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
