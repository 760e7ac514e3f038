package org.selectivbench.models.layers;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.selectivbench.models.modules.Nd;

/**
 * The forget floor of the gated models: a transition exp(a) kept at or above f as f + (1 - f) exp(a),
 * in log space, with its backward.
 */
final class Gates {
    private Gates() {
    }

    /** log(f + (1 - f) exp(a)); a itself when f = 0. */
    static INDArray floor(INDArray a, double f) {
        return f > 0 ? Nd.log(Nd.exp(a).muli(1 - f).addi(f)) : a;
    }

    /** dL/da from dL/d floor(a). */
    static INDArray floorBackward(INDArray a, double f, INDArray d) {
        if (f == 0) {
            return d;
        }
        INDArray e = Nd.exp(a).muli(1 - f);
        return e.div(e.add(f)).muli(d);
    }
}
