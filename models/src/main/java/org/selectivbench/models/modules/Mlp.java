package org.selectivbench.models.modules;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELUDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The optional MLP block after a mixer (model.mlp-expansion > 0): Linear(d -> e d), GELU, Linear(e d -> d),
 * with ND4J's GELU as the reference graph's (SameDiff's gelu op).
 */
public final class Mlp {
    private final Linear up;
    private final Linear down;
    private INDArray h;

    public Mlp(ParamStore ps, String name, int d, int hidden) {
        this.up = new Linear(ps, name + "1", d, hidden, true);
        this.down = new Linear(ps, name + "2", hidden, d, true);
    }

    /** The scalars the constructor creates. */
    public static long parameters(int d, int hidden) {
        return Linear.parameters(d, hidden, true) + Linear.parameters(hidden, d, true);
    }

    public INDArray forward(Pass p, INDArray x) {
        INDArray pre = up.forward(p, x);
        h = p.keep() ? pre : null;
        return down.forward(p, Nd4j.exec(new GELU(pre, pre.ulike())));
    }

    /** The gradient of x; {@code dx} (when given) receives it added. */
    public INDArray backward(INDArray dy, INDArray dx) {
        INDArray dh = down.backward(dy, null).muli(Nd4j.exec(new GELUDerivative(h, h.ulike())));
        h = null;
        return up.backward(dh, dx);
    }
}
