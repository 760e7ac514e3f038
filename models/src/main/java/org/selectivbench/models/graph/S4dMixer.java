package org.selectivbench.models.graph;

import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.config.TrainConfig;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * S4D (SPEC 6), following the standalone S4DKernel + S4D of the state-spaces/s4 repository
 * (models/s4/s4d.py): per channel h (H = d) and N/2 complex modes (N = d-state), ZOH
 * x = exp(dt A) x + ((exp(dt A) - 1)/A) u, y = 2 Re(C x) + D u, fixed in time; then GELU (exact,
 * erf form, as torch's nn.GELU) and output_linear = Conv1d(d, 2d, 1) (a linear with bias) + GLU.
 * The layer's dropout is left to the wrapper. A = -exp(log_A_real) + i A_imag (log_A_real init
 * ln 0.5, A_imag init pi n), log_dt ~ U(ln 0.001, ln 0.1) per channel, C complex normal (torch's
 * cfloat randn: real and imaginary parts each N(0, 1/2)), D ~ N(0, 1). All are trained; the s4
 * repo's separate learning rate for the kernel parameters is not reproduced.
 */
final class S4dMixer implements Mixer {
    private final ModelConfig c;

    S4dMixer(ModelConfig c) {
        this.c = c;
    }

    static int modes(ModelConfig c) {
        return Math.max(1, c.dState() / 2);
    }

    @Override
    public SDVariable apply(GraphBuilder g, String p, SDVariable u) {
        SameDiff sd = g.sd();
        int h = c.width(), m = modes(c);
        double lo = Math.log(0.001), hi = Math.log(0.1);
        SDVariable logDt = g.param(p + ".log_dt", (r, i) -> lo + r.nextDouble() * (hi - lo), h);
        SDVariable logAr = g.param(p + ".log_A_real", ParamStore.Init.constant(Math.log(0.5)), h, m);
        SDVariable aIm = g.param(p + ".A_imag", (r, i) -> Math.PI * (i % m), h, m);
        SDVariable cRe = g.param(p + ".C_re", ParamStore.Init.normal(Math.sqrt(0.5)), h, m);
        SDVariable cIm = g.param(p + ".C_im", ParamStore.Init.normal(Math.sqrt(0.5)), h, m);
        SDVariable dSkip = g.param(p + ".D", ParamStore.Init.normal(1.0), h);
        SDVariable start = g.carriedIn(p + ".state", 2, h, m); // [B, 2, H, M] in a segment graph, else null
        Scans.Result ssm = ssm(g, p, u, logDt, logAr, aIm, cRe, cIm, h, m, c.chunkSize(), start);
        if (start != null) {
            g.carryOut(p + ".state", ssm.end());
        }
        SDVariable y = ssm.out().add(u.mul(dSkip));
        // exact GELU, 0.5 x (1 + erf(x / sqrt 2)), from ops whose gradients the model test checks
        y = y.mul(sd.math().erf(y.mul(1 / Math.sqrt(2))).add(1.0)).mul(0.5);
        SDVariable z = g.linear(p + ".out", y, h, 2 * h, true);
        return cols(z, 0, h).mul(sd.nn().sigmoid(cols(z, h, 2 * h)));
    }

    /**
     * The SSM part y = K * u (causal convolution per channel) with K[h, l] = 2 Re(sum_n C'_n exp(l dtA_n)),
     * C' = C (exp(dtA) - 1) / A, in real arithmetic and chunks of C steps. Inside a chunk: a [C, C]
     * Toeplitz of the first C taps per channel (the taps times a constant 0/1 [C, C*C] matrix; no gather).
     * Across chunks the complex modal state z (without the input factor, which C' carries) is carried:
     * a chunk's end state is a matmul of its inputs with exp((C-1-j) dtA); the state entering chunk c is
     * sum_{c' < c} exp((c-c'-1) C dtA) end_c' (an [n, n] complex matrix per channel and mode up to
     * {@code pairwiseMax} chunks, a prefix scan beyond); it is read out at step i of the chunk with
     * 2 Re(C' exp((i+1) dtA)). Memory: O(H C^2 + H N/2 min(n^2, n log n) + B T N), not O(T^2).
     * The modal state Z_t = exp(dtA) Z_{t-1} + u_t is the ZOH state x without its input factor
     * (x = (exp(dtA) - 1)/A Z, fixed in time); from a start state Z_0 the state entering chunk c
     * gains exp(c C dtA) Z_0.
     *
     * @param u     rows [B*T, H]; parameters [H] (logDt) and [H, M] (the rest)
     * @param start [B, 2, H, M] the modal state (real, imaginary) before the first step, or null for 0
     * @return rows [B*T, H], and the modal state after the last step [B, 2, H, M] when {@code start} is given
     */
    static Scans.Result ssm(GraphBuilder g, String name, SDVariable u, SDVariable logDt, SDVariable logAr,
                            SDVariable aIm, SDVariable cRe, SDVariable cIm, int h, int m, int chunkSize,
                            SDVariable start) {
        return ssm(g, name, u, logDt, logAr, aIm, cRe, cIm, h, m, chunkSize, Scans.PAIRWISE_MAX_CHUNKS, start);
    }

    static Scans.Result ssm(GraphBuilder g, String name, SDVariable u, SDVariable logDt, SDVariable logAr,
                            SDVariable aIm, SDVariable cRe, SDVariable cIm, int h, int m, int chunkSize,
                            int pairwiseMax, SDVariable start) {
        SameDiff sd = g.sd();
        int t = g.steps();
        int c = Scans.chunk(t, chunkSize);
        int n = t / c;
        SDVariable dt = sd.math().exp(logDt).reshape(h, 1);
        SDVariable ar = sd.math().exp(logAr).neg(); // Re A < 0
        SDVariable pr = ar.mul(dt), pi = aIm.mul(dt); // dtA = pr + i pi, [H, M]
        // C' = C (exp(dtA) - 1) / A
        SDVariable ep = sd.math().exp(pr);
        SDVariable xr = ep.mul(sd.math().cos(pi)).sub(1.0), xi = ep.mul(sd.math().sin(pi));
        SDVariable den = ar.mul(ar).add(aIm.mul(aIm));
        SDVariable br = xr.mul(ar).add(xi.mul(aIm)).div(den), bi = xi.mul(ar).sub(xr.mul(aIm)).div(den);
        SDVariable kr = cRe.mul(br).sub(cIm.mul(bi)).reshape(h, m, 1);
        SDVariable ki = cRe.mul(bi).add(cIm.mul(br)).reshape(h, m, 1);
        // exp(l dtA) for l in [0..C-1 | C-1..0 | 1..C]: kernel taps, end-state weights, readout weights
        double[] ls = new double[3 * c];
        for (int l = 0; l < c; l++) {
            ls[l] = l;
            ls[c + l] = c - 1 - l;
            ls[2 * c + l] = l + 1;
        }
        SDVariable lv = g.constant(name + ".l", Nd4j.create(ls, new long[] {1, 1, 3 * c}, DataType.DOUBLE));
        SDVariable mag = sd.math().exp(pr.reshape(h, m, 1).mul(lv));
        SDVariable ang = pi.reshape(h, m, 1).mul(lv);
        SDVariable er = mag.mul(sd.math().cos(ang)), ei = mag.mul(sd.math().sin(ang)); // [H, M, 3C]
        SDVariable taps = kr.mul(slice(er, 0, c)).sub(ki.mul(slice(ei, 0, c))).sum(1).mul(2.0); // [H, C]
        SDVariable toep = taps.mmul(g.constant(name + ".toeplitz", toeplitzMap(c))).reshape(h, c, c);
        SDVariable uc = u.reshape(-1, c, h).permute(2, 1, 0); // [H, C, G], G = (b, chunk)
        SDVariable y = sd.mmul(toep, uc); // [H, C, G]
        SDVariable end = null;
        if (n > 1 || start != null) {
            SDVariable zr = sd.mmul(slice(er, c, 2 * c), uc).reshape(h * m, -1, n); // [H*M, B, n]
            SDVariable zi = sd.mmul(slice(ei, c, 2 * c), uc).reshape(h * m, -1, n);
            SDVariable[] in = n > pairwiseMax ? enteringByScan(sd, zr, zi, pr, pi, h * m, n, c)
                    : enteringPairwise(g, name, zr, zi, pr, pi, h * m, n, c);
            if (start != null) {
                SDVariable[] from = fromStart(g, name, start, in, zr, zi, pr, pi, h, m, n, c);
                in = new SDVariable[] {from[0], from[1]};
                end = from[2];
            }
            SDVariable inR = in[0].reshape(h, m, -1), inI = in[1].reshape(h, m, -1);
            // readout 2 Re(C' exp((i+1) dtA) Z) = 2 (Rr Zr - Ri Zi), R = C' exp((i+1) dtA), [H, C, M]
            SDVariable wr = slice(er, 2 * c, 3 * c), wi = slice(ei, 2 * c, 3 * c);
            SDVariable rr = kr.mul(wr).sub(ki.mul(wi)).permute(0, 2, 1);
            SDVariable ri = kr.mul(wi).add(ki.mul(wr)).permute(0, 2, 1);
            y = y.add(sd.mmul(rr, inR).sub(sd.mmul(ri, inI)).mul(2.0));
        }
        return new Scans.Result(y.permute(2, 1, 0).reshape(-1, h), end);
    }

    /**
     * The entering states {@code in} [H*M, B, n] (real, imaginary) plus exp(i C dtA) Z_0 for chunk i, and
     * the state after the last step, exp(C dtA) Z_{n-1} + z_{n-1} as [B, 2, H, M].
     */
    private static SDVariable[] fromStart(GraphBuilder g, String name, SDVariable start, SDVariable[] in,
                                          SDVariable zr, SDVariable zi, SDVariable pr, SDVariable pi, int h, int m,
                                          int n, int c) {
        SameDiff sd = g.sd();
        int hm = h * m;
        SDVariable s0r = start.get(SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all(), SDIndex.all())
                .reshape(-1, hm).permute(1, 0).reshape(hm, -1, 1); // [H*M, B, 1]
        SDVariable s0i = start.get(SDIndex.all(), SDIndex.interval(1, 2), SDIndex.all(), SDIndex.all())
                .reshape(-1, hm).permute(1, 0).reshape(hm, -1, 1);
        double[] steps = new double[n + 1]; // exp(i C dtA) for chunks i = 0..n-1, and exp(C dtA) last
        for (int i = 0; i < n; i++) {
            steps[i] = (double) i * c;
        }
        steps[n] = c;
        SDVariable sv = g.constant(name + ".startsteps", Nd4j.create(steps, new long[] {1, n + 1}, DataType.DOUBLE));
        SDVariable mag = sd.math().exp(pr.reshape(hm, 1).mul(sv)), ang = pi.reshape(hm, 1).mul(sv);
        SDVariable powsR = mag.mul(sd.math().cos(ang)).reshape(hm, 1, n + 1);
        SDVariable powsI = mag.mul(sd.math().sin(ang)).reshape(hm, 1, n + 1);
        SDVariable powR = powsR.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, n));
        SDVariable powI = powsI.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, n));
        SDVariable inR = in[0].add(powR.mul(s0r).sub(powI.mul(s0i))); // [H*M, B, n]
        SDVariable inI = in[1].add(powR.mul(s0i).add(powI.mul(s0r)));
        SDVariable er = powsR.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n, n + 1)); // exp(C dtA)
        SDVariable ei = powsI.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n, n + 1));
        SDVariable lastR = inR.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n - 1, n));
        SDVariable lastI = inI.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n - 1, n));
        SDVariable endR = er.mul(lastR).sub(ei.mul(lastI))
                .add(zr.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n - 1, n))); // [H*M, B, 1]
        SDVariable endI = er.mul(lastI).add(ei.mul(lastR))
                .add(zi.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(n - 1, n)));
        SDVariable end = sd.concat(1, endR.reshape(hm, -1).permute(1, 0).reshape(-1, 1, h, m),
                endI.reshape(hm, -1).permute(1, 0).reshape(-1, 1, h, m));
        return new SDVariable[] {inR, inI, end};
    }

    /**
     * Entering states Z[b, i] = sum_{j < i} E^(i-j-1) z[b, j] with E = exp(C dtA) per channel and mode,
     * as an [n, n] complex matrix per channel and mode (from a constant exponent table): memory
     * H N/2 n^2, so only up to {@link Scans#PAIRWISE_MAX_CHUNKS} chunks.
     *
     * @param zr chunk end states, real part [H*M, B, n] (zi imaginary)
     * @return {real, imaginary} [H*M, B, n]
     */
    private static SDVariable[] enteringPairwise(GraphBuilder g, String name, SDVariable zr, SDVariable zi,
                                                 SDVariable pr, SDVariable pi, int hm, int n, int c) {
        SameDiff sd = g.sd();
        double[] dist = new double[n * n], bias = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                dist[i * n + j] = j < i ? (i - j - 1) * (double) c : 0; // clamped: no overflow where masked
                bias[i * n + j] = j < i ? 0 : Blocks.MASKED;
            }
        }
        SDVariable dv = g.constant(name + ".dist", Nd4j.create(dist, new long[] {1, n * n}, DataType.DOUBLE));
        SDVariable bv = g.constant(name + ".bias", Nd4j.create(bias, new long[] {1, n * n}, DataType.DOUBLE));
        SDVariable mm = sd.math().exp(pr.reshape(hm, 1).mul(dv).add(bv));
        SDVariable ma = pi.reshape(hm, 1).mul(dv);
        SDVariable mr = mm.mul(sd.math().cos(ma)).reshape(hm, n, n);
        SDVariable mi = mm.mul(sd.math().sin(ma)).reshape(hm, n, n);
        // Z = z M^T, complex
        return new SDVariable[] {
            sd.mmul(zr, mr, false, true, false).sub(sd.mmul(zi, mi, false, true, false)),
            sd.mmul(zr, mi, false, true, false).add(sd.mmul(zi, mr, false, true, false))};
    }

    /**
     * The same entering states by a Hillis-Steele prefix scan over the chunks of S_i = E S_{i-1} + z_i
     * (level s adds E^s times S shifted by s; E^s = exp(s C dtA) directly, |E| < 1), then Z_i = S_{i-1}:
     * log2(n) levels on state-sized arrays, for long evaluations (task 4 at paper scale: 20,200 steps in
     * chunks of 64 are 316 chunks, and the pairwise matrices of 256 channels and 64 modes 6.5 GB each).
     */
    private static SDVariable[] enteringByScan(SameDiff sd, SDVariable zr, SDVariable zi, SDVariable pr,
                                               SDVariable pi, int hm, int n, int c) {
        SDVariable sr = zr, si = zi;
        for (int s = 1; s < n; s *= 2) {
            SDVariable mag = sd.math().exp(pr.reshape(hm, 1, 1).mul((double) s * c));
            SDVariable ang = pi.reshape(hm, 1, 1).mul((double) s * c);
            SDVariable er = mag.mul(sd.math().cos(ang)), ei = mag.mul(sd.math().sin(ang)); // E^s [H*M, 1, 1]
            SDVariable shr = Blocks.later(sd, sr, 3, 2, s, n, 0.0), shi = Blocks.later(sd, si, 3, 2, s, n, 0.0);
            SDVariable nr = sr.add(er.mul(shr).sub(ei.mul(shi)));
            si = si.add(er.mul(shi).add(ei.mul(shr)));
            sr = nr;
        }
        return new SDVariable[] {Blocks.later(sd, sr, 3, 2, 1, n, 0.0), Blocks.later(sd, si, 3, 2, 1, n, 0.0)};
    }

    /** [C, C*C] with E[l, i*C + j] = 1 when i - j = l: taps times E is the lower Toeplitz, flattened. */
    static INDArray toeplitzMap(int c) {
        double[] e = new double[c * c * c];
        for (int i = 0; i < c; i++) {
            for (int j = 0; j <= i; j++) {
                e[(i - j) * c * c + i * c + j] = 1;
            }
        }
        return Nd4j.create(e, new long[] {c, (long) c * c}, DataType.DOUBLE);
    }

    private static SDVariable slice(SDVariable x, int from, int to) {
        return x.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(from, to));
    }

    private static SDVariable cols(SDVariable x, int from, int to) {
        return x.get(SDIndex.all(), SDIndex.interval(from, to));
    }

    /** The modal state per channel and mode. */
    @Override
    public boolean carriesState() {
        return true;
    }
}
