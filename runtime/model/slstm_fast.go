package model

import "github.com/xlstm-go/xlstm/runtime/kernels"

// The float32 fast paths of slstmStep and gatedFFN: the same math as the
// scalar loops, with the nonlinearities evaluated over whole vectors by the
// kernels package (float32 approximations within 1e-6 relative; float64
// keeps the exact scalar path its parity tests need).

// slstmCell32 finishes an sLSTM step from the pre-activations raw =
// [i, f, z, o] (4·len(y), overwritten as scratch): stabiliser m, gates,
// cell c, normaliser n and output y, updating st. fresh is slstmStep's
// rule (n all zero: m takes the input pre-activation alone).
func slstmCell32(y, raw []float32, st *blockState[float32], fresh bool) {
	hsz := len(y)
	ig, fg, z, o := raw[:hsz], raw[hsz:2*hsz], raw[2*hsz:3*hsz], raw[3*hsz:4*hsz]
	sm, sc, sn, sy := st.sm[:hsz], st.sc[:hsz], st.sn[:hsz], st.sy[:hsz]
	kernels.LogSigmoid(fg, fg)
	for j := range fg {
		logfm := sm[j] + fg[j]
		mNew := ig[j]
		if !fresh {
			mNew = max(ig[j], logfm)
		}
		ig[j] -= mNew
		fg[j] = logfm - mNew
		sm[j] = mNew
	}
	kernels.Exp(ig, ig)
	kernels.Exp(fg, fg)
	kernels.Softcap(z, z, 1) // tanh
	kernels.Sigmoid(o, o)
	for j := range y {
		i, f := min(ig[j], 1), min(fg[j], 1)
		c := f*sc[j] + i*z[j]
		n := f*sn[j] + i
		sc[j], sn[j] = c, n
		y[j] = o[j] * c / n
		sy[j] = y[j]
	}
}

// geluGate32 sets g[t] = gelu(gate[t])·up[t] for each of the s positions
// of u = [gate | up] (2p per position).
func geluGate32(g, u []float32, s, p int) {
	for t := 0; t < s; t++ {
		ut, gt := u[t*2*p:(t+1)*2*p], g[t*p:(t+1)*p]
		kernels.GELU(gt, ut[:p])
		up := ut[p:]
		for j := range gt {
			gt[j] *= up[j]
		}
	}
}
