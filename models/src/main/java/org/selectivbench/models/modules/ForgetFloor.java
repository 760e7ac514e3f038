package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.ops.Arena;

/**
 * The forget floor of the gated models: a transition exp(a) kept at or above f as f + (1 - f) exp(a),
 * in log space, with its backward; in ND4J arrays and in Java float arrays.
 */
public final class ForgetFloor {
    private ForgetFloor() {
    }

    /** log(f + (1 - f) exp(a)); a itself when f = 0. */
    public static INDArray floor(INDArray a, double f) {
        return f > 0 ? Nd.log(Nd.exp(a).muli(1 - f).addi(f)) : a;
    }

    /** dL/da from dL/d floor(a). */
    public static INDArray floorBackward(INDArray a, double f, INDArray d) {
        if (f == 0) {
            return d;
        }
        INDArray e = Nd.exp(a).muli(1 - f);
        return e.div(e.add(f)).muli(d);
    }

    /** {@link #floor} of a float array: a itself when f = 0, else a new array. */
    public static float[] floor(float[] a, double f) {
        if (f == 0) {
            return a;
        }
        float[] y = Arena.uninitialized(a.length);
        for (int i = 0; i < a.length; i++) {
            y[i] = (float) Math.log(f + (1 - f) * Math.exp(a[i]));
        }
        return y;
    }

    /** {@link #floorBackward} of float arrays: d itself when f = 0, else a new array. */
    public static float[] floorBackward(float[] a, double f, float[] d) {
        if (f == 0) {
            return d;
        }
        float[] y = Arena.uninitialized(a.length);
        for (int i = 0; i < a.length; i++) {
            double e = (1 - f) * Math.exp(a[i]);
            y[i] = (float) (e / (e + f) * d[i]);
        }
        return y;
    }
}
