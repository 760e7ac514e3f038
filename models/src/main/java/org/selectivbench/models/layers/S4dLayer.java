package org.selectivbench.models.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.config.ModelConfig;
import org.selectivbench.models.modules.Linear;
import org.selectivbench.models.modules.Nd;
import org.selectivbench.models.modules.ParamStore;
import org.selectivbench.models.modules.Pass;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.ColumnSumsFloat;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.Kernels;
import org.selectivbench.models.ops.ModalScan;
import org.selectivbench.models.ops.ModalScanRecurrent;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * S4D (SPEC 6), following the standalone S4D of state-spaces/s4 (models/s4/s4d.py): per channel h
 * (H = d) and N/2 complex modes, ZOH x = exp(dt A) x + ((exp(dt A) - 1) / A) u, y = 2 Re(C x) + D u,
 * then exact GELU and a linear d -> 2d with GLU. A = -exp(log_A_real) + i A_imag (init ln 0.5 and
 * pi n), log_dt ~ U(ln 0.001, ln 0.1), C complex normal (parts N(0, 1/2)), D ~ N(0, 1). The SSM is the
 * {@link ModalScan} op on E = exp(dt A) and C' = C (E - 1) / A, which this layer forms from the
 * parameters (and back).
 */
final class S4dLayer implements Mixer {
    private final String name;
    private final int h;
    private final int m;
    private final int chunk;
    private final ParamStore.Param logDt;
    private final ParamStore.Param logAr;
    private final ParamStore.Param aIm;
    private final ParamStore.Param cRe;
    private final ParamStore.Param cIm;
    private final ParamStore.Param dSkip;
    private final Linear out;
    private final ModalScan scan = new ModalScan();
    private INDArray u;
    private INDArray y;
    private INDArray zz;
    /** Whether this pass runs the float32 Java path; what it keeps: u, y, y's erfc, z and the GLU's gates. */
    private boolean floats;
    private float[][] kept;

    S4dLayer(ModelConfig c, ParamStore ps, String p) {
        this.name = p;
        this.h = c.width();
        this.m = Math.max(1, c.dState() / 2);
        this.chunk = c.chunkSize();
        int modes = m;
        double lo = Math.log(0.001), hi = Math.log(0.1);
        this.logDt = ps.param(p + ".log_dt", (r, i) -> lo + r.nextDouble() * (hi - lo), h);
        this.logAr = ps.param(p + ".log_A_real", ParamStore.Init.constant(Math.log(0.5)), h, m);
        this.aIm = ps.param(p + ".A_imag", (r, i) -> Math.PI * (i % modes), h, m);
        this.cRe = ps.param(p + ".C_re", ParamStore.Init.normal(Math.sqrt(0.5)), h, m);
        this.cIm = ps.param(p + ".C_im", ParamStore.Init.normal(Math.sqrt(0.5)), h, m);
        this.dSkip = ps.param(p + ".D", ParamStore.Init.normal(1.0), h);
        this.out = new Linear(ps, p + ".out", h, 2 * h, true);
    }

    /** The scalars the constructor creates. */
    static long parameters(ModelConfig c) {
        int h = c.width(), m = Math.max(1, c.dState() / 2); // modes floor(N / 2), at least 1
        return h + 4L * h * m + h // log_dt; log_A_real, A_imag, C_re, C_im; D
                + Linear.parameters(h, 2 * h, true);
    }

    @Override
    public INDArray forward(Pass p, INDArray x) {
        if (x.dataType() == DataType.FLOAT && javaFloats(p)) {
            return Host.array(forwardFloats(p, Host.readFloats(x)), p.rows(), h);
        }
        floats = false;
        Discrete k = discretize();
        discretized = p.keep() ? k : null;
        ModalScanRecurrent.Dims dims = new ModalScanRecurrent.Dims(p.batch(), p.steps(), h, m);
        INDArray end = States.end(p, x.dataType(), 2, h, m);
        INDArray shape = logAr.value();
        INDArray ssm = scan.forward(dims, chunk, x, arr(k.er, shape), arr(k.ei, shape), arr(k.cr, shape),
                arr(k.ci, shape), p.carried(name + ".state"), end, p.keep());
        States.carry(p, name + ".state", end);
        INDArray yy = ssm.addi(x.mulRowVector(dSkip.value()));
        INDArray g = Nd.gelu(yy);
        INDArray z = out.forward(p, g);
        if (p.keep()) {
            u = x;
            y = yy;
            zz = z;
        }
        return Nd.glu(z, h);
    }

    /** Whether a float32 pass takes the Java arrays' path: on the CPU, from a zero state, not in segments. */
    private boolean javaFloats(Pass p) {
        return Kernels.current() == Kernels.JAVA && !p.segmented() && p.carried(name + ".state") == null;
    }

    /** The scan's output, the skip and GELU in Java arrays, from kernel to kernel. */
    @Override
    public float[] forwardFloats(Pass p, float[] uf) {
        if (!javaFloats(p)) {
            return Mixer.super.forwardFloats(p, uf);
        }
        floats = true;
        Discrete k = discretize();
        discretized = p.keep() ? k : null;
        ModalScanRecurrent.Dims dims = new ModalScanRecurrent.Dims(p.batch(), p.steps(), h, m);
        float[] yf = scan.forwardFloats(dims, uf, k.er, k.ei, k.cr, k.ci, p.keep());
        PointwiseFloat.addScaledRows(yf, uf, Host.readFloats(dSkip.value()), h);
        float[] c = PointwiseFloat.erfcOfMinus(yf);
        float[] z = out.forwardFloats(p, PointwiseFloat.gelu(yf, c), (int) p.rows());
        float[] s = PointwiseFloat.gates(z, h);
        if (p.keep()) { // with the GELU's erfc and the GLU's gates, which backward then need not recompute
            kept = new float[][] {uf, yf, c, z, s};
        }
        return PointwiseFloat.glu(z, s, h);
    }

    @Override
    public INDArray backward(Pass p, INDArray dOut) {
        if (floats) {
            return Host.array(backwardFloats(p, Host.readFloats(dOut)), p.rows(), h);
        }
        INDArray dy = Nd.geluBackward(y, out.backward(Nd.gluBackward(zz, dOut, h), null));
        dSkip.grad().addi(Nd.sumRows(dy.mul(u)));
        ModalScan.Grads g = scan.backward(dy);
        INDArray du = g.du().addi(dy.mulRowVector(dSkip.value()));
        parameterGrads(Host.read(g.der()), Host.read(g.dei()), Host.read(g.dcr()), Host.read(g.dci()));
        u = null;
        y = null;
        zz = null;
        return du;
    }

    @Override
    public float[] backwardFloats(Pass p, float[] dOut) {
        if (!floats) {
            return Mixer.super.backwardFloats(p, dOut);
        }
        float[] uF = kept[0], yF = kept[1], c = kept[2], z = kept[3], s = kept[4];
        kept = null;
        float[] dz = PointwiseFloat.gluBackward(z, s, dOut, h);
        float[] dg = out.backwardFloats(dz, (int) p.rows(), null);
        float[] dy = PointwiseFloat.geluBackward(yF, c, dg);
        float[] dyu = Arena.uninitialized(dy.length);
        for (int i = 0; i < dy.length; i++) {
            dyu[i] = dy[i] * uF[i];
        }
        int rows = dy.length / h;
        dSkip.grad().addi(Host.array(ColumnSumsFloat.columnSums(dyu, rows, h), h));
        ModalScan.FloatGrads g = scan.backwardFloats(dy);
        float[] du = g.du();
        PointwiseFloat.addScaledRows(du, dy, Host.readFloats(dSkip.value()), h);
        parameterGrads(g.der(), g.dei(), g.dcr(), g.dci());
        return du;
    }

    /**
     * E = exp(dt A) and C' = C (E - 1) / A per channel and mode, [H, M] real and imaginary parts; with
     * what the backward pass's chain needs (dt per entry, Re A, B = (E - 1) / A), so that it does not
     * compute the exponentials, cosines and sines again.
     */
    private record Discrete(double[] er, double[] ei, double[] cr, double[] ci, double[] dt, double[] ar,
                            double[] br, double[] bi) {
    }

    private Discrete discretized;

    private Discrete discretize() {
        double[] ldt = Host.read(logDt.value()), lar = Host.read(logAr.value()), ai = Host.read(aIm.value());
        double[] crp = Host.read(cRe.value()), cip = Host.read(cIm.value());
        int hm = h * m;
        Discrete k = new Discrete(new double[hm], new double[hm], new double[hm], new double[hm], new double[hm],
                new double[hm], new double[hm], new double[hm]);
        for (int i = 0; i < hm; i++) {
            double dt = Math.exp(ldt[i / m]), ar = -Math.exp(lar[i]);
            double mag = Math.exp(ar * dt), ang = ai[i] * dt;
            double er = mag * Math.cos(ang), ei = mag * Math.sin(ang);
            double xr = er - 1, xi = ei, den = ar * ar + ai[i] * ai[i];
            double br = (xr * ar + xi * ai[i]) / den, bi = (xi * ar - xr * ai[i]) / den;
            k.er[i] = er;
            k.ei[i] = ei;
            k.cr[i] = crp[i] * br - cip[i] * bi;
            k.ci[i] = crp[i] * bi + cip[i] * br;
            k.dt[i] = dt;
            k.ar[i] = ar;
            k.br[i] = br;
            k.bi[i] = bi;
        }
        return k;
    }

    /** Back from dE and dC' to the parameters (the chain of {@link #discretize}, from its kept values). */
    private void parameterGrads(double[] der, double[] dei, double[] dcr, double[] dci) {
        Discrete k = discretized;
        discretized = null;
        double[] ai = Host.read(aIm.value()), crp = Host.read(cRe.value()), cip = Host.read(cIm.value());
        int hm = h * m;
        double[] gLdt = new double[h], gLar = new double[hm], gAi = new double[hm], gCr = new double[hm];
        double[] gCi = new double[hm];
        for (int i = 0; i < hm; i++) {
            double dt = k.dt[i], ar = k.ar[i], a2 = ai[i];
            double er = k.er[i], ei = k.ei[i];
            double xr = er - 1, xi = ei, den = ar * ar + a2 * a2;
            double br = k.br[i], bi = k.bi[i];
            // C' = C B
            gCr[i] = dcr[i] * br + dci[i] * bi;
            gCi[i] = -dcr[i] * bi + dci[i] * br;
            double dbr = dcr[i] * crp[i] + dci[i] * cip[i], dbi = -dcr[i] * cip[i] + dci[i] * crp[i];
            // B = X / A
            double dxr = (dbr * ar - dbi * a2) / den, dxi = (dbr * a2 + dbi * ar) / den;
            double dar = (dbr * (xr - 2 * ar * br) + dbi * (xi - 2 * ar * bi)) / den;
            double dai = (dbr * (xi - 2 * a2 * br) + dbi * (-xr - 2 * a2 * bi)) / den;
            // X = E - 1, E = exp(pr + i pi), pr = ar dt, pi = a2 dt
            double dEr = der[i] + dxr, dEi = dei[i] + dxi;
            double dpr = dEr * er + dEi * ei, dpi = -dEr * ei + dEi * er;
            dar += dpr * dt;
            dai += dpi * dt;
            gLdt[i / m] += (dpr * ar + dpi * a2) * dt;
            gLar[i] = dar * ar;
            gAi[i] = dai;
        }
        logDt.grad().addi(arr(gLdt, logDt.grad()));
        logAr.grad().addi(arr(gLar, logAr.grad()));
        aIm.grad().addi(arr(gAi, aIm.grad()));
        cRe.grad().addi(arr(gCr, cRe.grad()));
        cIm.grad().addi(arr(gCi, cIm.grad()));
    }

    /** {@code v} as an array of {@code like}'s type and shape. */
    private static INDArray arr(double[] v, INDArray like) {
        return Host.array(v, like.dataType(), like.shape());
    }

    @Override
    public boolean carriesState() {
        return true;
    }
}
