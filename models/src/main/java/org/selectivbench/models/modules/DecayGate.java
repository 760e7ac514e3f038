package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;
import org.selectivbench.models.ops.Host;
import org.selectivbench.models.ops.PointwiseFloat;

/**
 * The data-dependent decay of Mamba2 and the gated delta family, per row and head from a pre-activation
 * z [R, H]: dt = softplus(z + dt_bias), log alpha = -exp(A_log) dt, then the {@link ForgetFloor}. The
 * layer creates A_log and dt_bias (their order and initialisation are its parametrization). An ND4J form,
 * and a form on Java float arrays for float32 models on the Java kernels, where a dozen ND4J calls on
 * [R, H] arrays cost more than the arithmetic.
 */
public final class DecayGate {
    private final ParamStore.Param aLog;
    private final ParamStore.Param dtBias;
    private final double floor;
    private INDArray pre;
    private INDArray dt;
    private INDArray raw;
    /** The float form's z + dt_bias, dt and log alpha before the floor. */
    private float[][] kept;

    public DecayGate(ParamStore.Param aLog, ParamStore.Param dtBias, double floor) {
        this.aLog = aLog;
        this.dtBias = dtBias;
        this.floor = floor;
    }

    /** dt and the log decay, each [R, H]. */
    public record Out(INDArray dt, INDArray logDecay) {
    }

    public Out forward(Pass p, INDArray z) {
        INDArray zb = z.addRowVector(dtBias.value());
        INDArray step = Nd.softplus(zb);
        INDArray a = step.mulRowVector(Nd.exp(aLog.value())).negi();
        if (p.keep()) {
            pre = zb;
            dt = step;
            raw = a;
        }
        return new Out(step, ForgetFloor.floor(a, floor));
    }

    /**
     * dL/dz from the log decay's gradient da and, when not null, dt's own ddt (consumed); adds into the
     * gradients of A_log and dt_bias.
     */
    public INDArray backward(INDArray da, INDArray ddt) {
        INDArray d = ForgetFloor.floorBackward(raw, floor, da);
        INDArray aPos = Nd.exp(aLog.value());
        aLog.grad().addi(Nd.sumRows(d.mul(dt)).muli(aPos).negi()); // a = -dt A: dA_log = -sum(da dt) A
        INDArray dpre = ddt == null ? d.mulRowVector(aPos).negi() : ddt.subi(d.mulRowVector(aPos));
        dpre.muli(Nd.sigmoid(pre));
        dtBias.grad().addi(Nd.sumRows(dpre));
        pre = null;
        dt = null;
        raw = null;
        return dpre;
    }

    /** The float form's dt and log decay, rows of H one after another. */
    public record Floats(float[] dt, float[] logDecay) {
    }

    public Floats forwardFloats(Pass p, float[] z) {
        float[] bias = Host.readFloats(dtBias.value()), aPos = aPos();
        int heads = bias.length;
        float[] zb = Arena.uninitialized(z.length);
        for (int i = 0; i < z.length; i++) {
            zb[i] = z[i] + bias[i % heads];
        }
        float[] step = PointwiseFloat.softplus(zb);
        float[] a = Arena.uninitialized(z.length);
        for (int i = 0; i < z.length; i++) {
            a[i] = -(step[i] * aPos[i % heads]);
        }
        kept = p.keep() ? new float[][] {zb, step, a} : null;
        return new Floats(step, ForgetFloor.floor(a, floor));
    }

    /** {@link #backward} of the float form: dL/dz from da and ddt (or null); sums over rows in double. */
    public float[] backwardFloats(float[] da, float[] ddt) {
        float[] zb = kept[0], step = kept[1], aPos = aPos();
        int heads = aPos.length;
        float[] d = ForgetFloor.floorBackward(kept[2], floor, da), sig = PointwiseFloat.sigmoid(zb);
        float[] dpre = Arena.uninitialized(d.length);
        double[] dA = new double[heads], dBias = new double[heads];
        for (int i = 0; i < d.length; i++) {
            int h = i % heads;
            dA[h] += d[i] * step[i];
            dpre[i] = ((ddt == null ? 0 : ddt[i]) - d[i] * aPos[h]) * sig[i];
            dBias[h] += dpre[i];
        }
        for (int h = 0; h < heads; h++) {
            dA[h] *= -aPos[h];
        }
        aLog.grad().addi(Host.array(dA, aLog.grad().dataType(), heads));
        dtBias.grad().addi(Host.array(dBias, dtBias.grad().dataType(), heads));
        kept = null;
        return dpre;
    }

    private float[] aPos() {
        float[] a = Host.readFloats(aLog.value());
        for (int h = 0; h < a.length; h++) {
            a[h] = (float) Math.exp(a[h]);
        }
        return a;
    }
}
